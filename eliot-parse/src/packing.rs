//! The text of open tasks, packed: a log whose tasks never complete is held
//! whole until its end, and its lines, which repeat the same keys, types and
//! task UUID over and over, compress several times over with LZ4.
//!
//! A message keeps its text plain until the parser packs its task: then the
//! plain texts of the task's messages go into one LZ4 block of the task, and
//! each message keeps where its text is in that block. A task is unpacked
//! when it is handed back, so that every message of a [`Task`] the parser
//! returns is plain, and [`WrittenMessage::as_json`] borrows it.
//!
//! [`Task`]: super::Task
//! [`WrittenMessage::as_json`]: super::WrittenMessage::as_json

use std::fmt;
use std::sync::Arc;

use super::field_index::{self, FieldIndex, FieldTexts};

/// Where a message's JSON text is.
#[derive(Clone)]
pub(crate) enum Text {
    /// The text itself, followed by where its fields are (see
    /// [`field_index`](super::field_index)).
    Plain(Box<str>),
    /// `len` bytes at `at` in the packed text of the message's task (its
    /// blocks, unpacked one after the other). Two `u32`s keep a `Text` as
    /// small as a `Box<str>`.
    Packed { at: u32, len: u32 },
}

impl Text {
    /// A plain text, with where its fields are if its reader found them.
    pub(crate) fn plain(text: &str, fields: Option<&FieldIndex>) -> Self {
        Text::Plain(field_index::store(text, fields))
    }

    /// The text; empty for a packed one, which no task handed back holds.
    pub(crate) fn as_str(&self) -> &str {
        self.text_and_index().0
    }

    /// The fields besides Eliot's, if the text's reader found them and the
    /// text was never packed.
    pub(crate) fn field_texts(&self) -> Option<FieldTexts<'_>> {
        let (text, index) = self.text_and_index();
        Some(FieldTexts::new(text, index?))
    }

    /// Reads a byte of each cache line of the stored text and its index,
    /// the last byte included.
    pub(crate) fn touch(&self) -> u8 {
        let Text::Plain(stored) = self else {
            return 0;
        };
        let stored = stored.as_bytes();
        let last = stored.last().copied().unwrap_or_default();
        stored
            .iter()
            .step_by(64)
            .fold(last, |read, byte| read ^ byte)
    }

    fn text_and_index(&self) -> (&str, Option<&[u8]>) {
        match self {
            Text::Plain(stored) => field_index::split(stored),
            Text::Packed { .. } => {
                debug_assert!(false, "a task is unpacked before it is handed back");
                ("", None)
            }
        }
    }
}

/// The packed blocks of one task.
#[derive(Clone, Default)]
pub(crate) struct Blocks {
    blocks: Vec<Box<[u8]>>,
    /// The bytes of text the blocks hold, unpacked.
    plain_len: usize,
    /// The dictionary the blocks were packed with.
    dictionary: Dictionary,
}

/// Text like the text to pack: LZ4 finds in it what a block repeats from
/// other tasks (keys, types, values), which a small block alone cannot
/// hold. The parser takes the first text it packs.
pub(crate) type Dictionary = Option<Arc<[u8]>>;

/// The most of the first text packed that the dictionary keeps (LZ4 looks
/// back 64 KiB at most, and hashes the whole dictionary for each block).
const DICTIONARY_LEN: usize = 8 << 10;

/// The most text a task packs: offsets in it are `u32`.
const MAX_PACKED: usize = u32::MAX as usize;

impl Blocks {
    /// Packs the plain texts among `texts` into a new block; returns how
    /// many bytes of plain text it took.
    pub(crate) fn pack<'a>(
        &mut self,
        texts: impl IntoIterator<Item = &'a mut Text>,
        dictionary: &mut Dictionary,
    ) -> usize {
        let mut plain = String::new();
        for text in texts {
            if matches!(text, Text::Packed { .. }) {
                continue;
            }
            // The index of its fields is not packed: it would take more room
            // than the text saves, and a task held this long is rare.
            let own = text.as_str();
            let at = self.plain_len + plain.len();
            if at + own.len() > MAX_PACKED {
                break; // Left plain.
            }
            // Both fit in u32: checked above.
            let (at, len) = (at as u32, own.len() as u32);
            plain.push_str(own);
            *text = Text::Packed { at, len };
        }
        if plain.is_empty() {
            return 0;
        }
        let Some(shared) = dictionary else {
            let start = plain.len().saturating_sub(DICTIONARY_LEN);
            *dictionary = Some(plain.as_bytes()[start..].into());
            self.blocks
                .push(lz4_flex::compress_prepend_size(plain.as_bytes()).into_boxed_slice());
            self.plain_len += plain.len();
            return plain.len();
        };
        // A task's blocks share one dictionary: the one in force at its first.
        let shared = self.dictionary.get_or_insert_with(|| shared.clone());
        let block = lz4_flex::block::compress_prepend_size_with_dict(plain.as_bytes(), shared);
        self.blocks.push(block.into_boxed_slice());
        self.plain_len += plain.len();
        plain.len()
    }

    /// Whether nothing is packed.
    pub(crate) fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Makes every text among `texts` plain again, and drops the blocks;
    /// returns how many bytes of plain text that gave back.
    pub(crate) fn unpack<'a>(&mut self, texts: impl IntoIterator<Item = &'a mut Text>) -> usize {
        if self.blocks.is_empty() {
            return 0;
        }
        let mut unpacked = Vec::with_capacity(self.plain_len);
        let dictionary = self.dictionary.take();
        for block in std::mem::take(&mut self.blocks) {
            // A block packed alone (the first of the first task packed)
            // refers to nothing before it: the dictionary does not change it.
            let bytes = match &dictionary {
                Some(dictionary) => {
                    lz4_flex::block::decompress_size_prepended_with_dict(&block, dictionary)
                }
                None => lz4_flex::decompress_size_prepended(&block),
            };
            unpacked
                .extend_from_slice(&bytes.expect("a block this parser compressed decompresses"));
        }
        let unpacked = String::from_utf8(unpacked).expect("the blocks hold whole UTF-8 texts");
        for text in texts {
            if let Text::Packed { at, len } = *text {
                let (at, len) = (at as usize, len as usize);
                *text = Text::plain(&unpacked[at..at + len], None);
            }
        }
        std::mem::take(&mut self.plain_len)
    }

    /// The bytes the blocks take.
    pub(crate) fn packed_len(&self) -> usize {
        self.blocks.iter().map(|block| block.len()).sum()
    }
}

impl fmt::Debug for Blocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Blocks")
            .field("blocks", &self.blocks.len())
            .field("bytes", &self.packed_len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_packed_into_blocks_come_back_as_they_were() {
        let originals: Vec<String> = (0..300)
            .map(|i| format!(r#"{{"n":{i},"s":"caf\u00e9 ☕","task_uuid":"t"}}"#))
            .collect();
        let mut texts: Vec<Text> = originals.iter().map(|t| Text::plain(t, None)).collect();
        let (mut blocks, mut dictionary) = (Blocks::default(), None);
        let packed = blocks.pack(&mut texts[..100], &mut dictionary);
        assert_eq!(packed, blocks_len(&originals[..100]));
        assert!(
            dictionary.is_some(),
            "the first text packed is the dictionary"
        );
        // Packing again takes only what is still plain.
        let again = blocks.pack(&mut texts[..200], &mut dictionary);
        assert_eq!(again, blocks_len(&originals[100..200]));
        assert_eq!(blocks.pack(&mut texts[..200], &mut dictionary), 0);
        assert!(
            texts[..200]
                .iter()
                .all(|t| matches!(t, Text::Packed { .. }))
        );
        assert!(blocks.packed_len() * 3 < blocks_len(&originals[..200]));
        assert_eq!(blocks.unpack(&mut texts), blocks_len(&originals[..200]));
        let back: Vec<&str> = texts.iter().map(Text::as_str).collect();
        assert_eq!(back, originals);
        assert_eq!(blocks.packed_len(), 0);
        // Another task's blocks, packed with that dictionary.
        let mut other: Vec<Text> = originals[200..]
            .iter()
            .map(|t| Text::plain(t, None))
            .collect();
        let mut second = Blocks::default();
        second.pack(&mut other, &mut dictionary);
        second.unpack(&mut other);
        let back: Vec<&str> = other.iter().map(Text::as_str).collect();
        assert_eq!(back, originals[200..]);
    }

    fn blocks_len(texts: &[String]) -> usize {
        texts.iter().map(String::len).sum()
    }
}
