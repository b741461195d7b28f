//! Huge collections cut with a marker: a list or map field of more than
//! [`MAX_COLLECTION_LEN`] items is written with its first
//! `MAX_COLLECTION_LEN` items and its length, instead of megabytes
//! (Python Eliot writes a NumPy array of more than 10,000 items the same
//! way, Eliot issue 410).
//!
//! A field is serialized with serde_json as is; only one whose JSON is long
//! enough to hold such a collection ([`SHORTEST_CUT_JSON`]) is written again
//! through [`Cut`], a `serde::Serializer` that forwards
//! everything to serde_json's and counts the items of each sequence and
//! map on the way. It writes the marker's own bytes into the line's buffer
//! directly, which serde_json's writer shares through a `RefCell`: a
//! sequence whose length is unknown until its end is turned into the
//! marker then, by inserting the marker's opening before it.

use std::cell::RefCell;
use std::io::{self, Write as _};

use serde::ser::{
    Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

/// The most items of a list or a map (of each one, at any depth) written
/// in a field's value. A longer list is written as
/// `{"array_start":[<its first 10,000 items>],"original_shape":[<its length>]}`,
/// the form Python Eliot writes for a NumPy array of more than 10,000
/// items, and a longer map as
/// `{"map_start":{<its first 10,000 entries>},"original_size":<its length>}`.
///
/// ```
/// use eliot_core::{FieldValue, MAX_COLLECTION_LEN};
///
/// let huge: Vec<u32> = (0..25_000).collect();
/// let mut out = Vec::new();
/// huge.write_json(&mut out).unwrap();
/// let written: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(written["array_start"].as_array().unwrap().len(), MAX_COLLECTION_LEN);
/// assert_eq!(written["original_shape"], serde_json::json!([25_000]));
/// ```
pub const MAX_COLLECTION_LEN: usize = 10_000;

const ARRAY_START: &[u8] = b"{\"array_start\":";
const MAP_START: &[u8] = b"{\"map_start\":";

/// The shortest JSON a value holding a collection of more than
/// [`MAX_COLLECTION_LEN`] items can have, at any depth.
///
/// A list or map of `n` items takes at least `2n + 1` bytes: at least one
/// byte per item (a map's entry takes more: `"":0`), a comma between two
/// items, and its two brackets. A value's JSON holds each of its
/// collections' JSON whole, so if it is shorter than
/// `2 * (MAX_COLLECTION_LEN + 1) + 1` bytes, none of its collections, at any
/// depth, has more than `MAX_COLLECTION_LEN` items and there is nothing to
/// cut.
const SHORTEST_CUT_JSON: usize = 2 * (MAX_COLLECTION_LEN + 1) + 1;

/// Appends `value`'s JSON to `out`, huge collections cut.
///
/// Serializes with serde_json as is, then checks the length written: only a
/// value whose JSON is at least [`SHORTEST_CUT_JSON`] bytes long can hold a
/// collection to cut, and only then is its JSON taken back and written
/// again through [`Cut`]. Every usual field thus pays one comparison, not
/// the counting serializer; a huge one is serialized twice and its first,
/// whole JSON lives in the buffer until it is taken back.
#[inline]
pub(crate) fn write_field<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), serde_json::Error> {
    let start = out.len();
    serde_json::to_writer(&mut *out, value)?;
    if out.len() - start < SHORTEST_CUT_JSON {
        return Ok(());
    }
    rewrite_cut(value, out, start)
}

/// Replaces `value`'s JSON written from `start` on by its cut form. Kept
/// out of line so that the usual path stays as small as serde_json's own.
#[cold]
#[inline(never)]
fn rewrite_cut<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
    start: usize,
) -> Result<(), serde_json::Error> {
    out.truncate(start);
    write_cut(value, out)
}

/// Appends `value`'s JSON to `out` through [`Cut`], huge collections cut.
fn write_cut<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    let line = Shared {
        buffer: RefCell::new(std::mem::take(out)),
        out,
    };
    let mut json = serde_json::Serializer::new(Writer(&line.buffer));
    value.serialize(Cut {
        inner: &mut json,
        line: &line.buffer,
    })
}

/// The line's buffer, shared by serde_json's writer and [`Cut`] while a
/// value is written, and handed back to the caller's `Vec` afterwards,
/// also when a `Serialize` impl panics.
struct Shared<'a> {
    buffer: RefCell<Vec<u8>>,
    out: &'a mut Vec<u8>,
}

impl Drop for Shared<'_> {
    fn drop(&mut self) {
        *self.out = std::mem::take(self.buffer.get_mut());
    }
}

/// serde_json's writer: appends to the shared buffer.
struct Writer<'a>(&'a RefCell<Vec<u8>>);

impl io::Write for Writer<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A serializer that forwards to `inner` and cuts huge collections.
struct Cut<'a, S> {
    inner: S,
    line: &'a RefCell<Vec<u8>>,
}

/// A value inside a collection or a struct, serialized through [`Cut`]
/// too, so that collections are cut at any depth.
struct Nested<'a, T: ?Sized> {
    value: &'a T,
    line: &'a RefCell<Vec<u8>>,
}

impl<T: Serialize + ?Sized> Serialize for Nested<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Cut {
            inner: serializer,
            line: self.line,
        })
    }
}

impl<'a, S> Cut<'a, S> {
    fn nested<'v, T: ?Sized>(&self, value: &'v T) -> Nested<'v, T>
    where
        'a: 'v,
    {
        Nested {
            value,
            line: self.line,
        }
    }

    /// Opens a collection of `len` items (when known): writes the marker's
    /// opening now if it is known to be cut. Returns where the collection
    /// starts in the line and whether the opening was written.
    fn open(&self, len: Option<usize>, marker: &[u8]) -> Counter<'a> {
        let mut line = self.line.borrow_mut();
        let opened = len.is_some_and(|len| len > MAX_COLLECTION_LEN);
        if opened {
            line.extend_from_slice(marker);
        }
        Counter {
            line: self.line,
            start: line.len(),
            opened,
            count: 0,
        }
    }
}

/// The items of one collection, counted.
struct Counter<'a> {
    line: &'a RefCell<Vec<u8>>,
    start: usize,
    opened: bool,
    count: usize,
}

impl Counter<'_> {
    /// Counts one more item: whether it is written.
    fn admit(&mut self) -> bool {
        self.count += 1;
        self.count <= MAX_COLLECTION_LEN
    }

    /// After the collection's closing bracket: completes the marker if
    /// items were left out, inserting its opening before the collection
    /// when its length was not known in advance.
    fn close(self, marker: &[u8], length_key: &str, shape: bool) {
        if self.count <= MAX_COLLECTION_LEN {
            return;
        }
        let mut line = self.line.borrow_mut();
        if !self.opened {
            line.splice(self.start..self.start, marker.iter().copied());
        }
        let (open, close) = if shape { ("[", "]") } else { ("", "") };
        // Writing into a `Vec` cannot fail.
        let _ = write!(line, ",\"{length_key}\":{open}{}{close}}}", self.count);
    }
}

/// The min of a known length and the most items written.
fn written_len(len: Option<usize>) -> Option<usize> {
    len.map(|len| len.min(MAX_COLLECTION_LEN))
}

impl<'a, S: Serializer> Serializer for Cut<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = CutSeq<'a, S::SerializeSeq>;
    type SerializeTuple = Forward<'a, S::SerializeTuple>;
    type SerializeTupleStruct = Forward<'a, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Forward<'a, S::SerializeTupleVariant>;
    type SerializeMap = CutMap<'a, S::SerializeMap>;
    type SerializeStruct = Forward<'a, S::SerializeStruct>;
    type SerializeStructVariant = Forward<'a, S::SerializeStructVariant>;

    fn serialize_bool(self, v: bool) -> Result<S::Ok, S::Error> {
        self.inner.serialize_bool(v)
    }
    fn serialize_i8(self, v: i8) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i8(v)
    }
    fn serialize_i16(self, v: i16) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i16(v)
    }
    fn serialize_i32(self, v: i32) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i32(v)
    }
    fn serialize_i64(self, v: i64) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i64(v)
    }
    fn serialize_i128(self, v: i128) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i128(v)
    }
    fn serialize_u8(self, v: u8) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u8(v)
    }
    fn serialize_u16(self, v: u16) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u16(v)
    }
    fn serialize_u32(self, v: u32) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u32(v)
    }
    fn serialize_u64(self, v: u64) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u64(v)
    }
    fn serialize_u128(self, v: u128) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u128(v)
    }
    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        self.inner.serialize_f32(v)
    }
    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        self.inner.serialize_f64(v)
    }
    fn serialize_char(self, v: char) -> Result<S::Ok, S::Error> {
        self.inner.serialize_char(v)
    }
    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        self.inner.serialize_str(v)
    }
    fn collect_str<T: std::fmt::Display + ?Sized>(self, v: &T) -> Result<S::Ok, S::Error> {
        self.inner.collect_str(v)
    }

    /// Bytes are a list of numbers in JSON: cut like one.
    fn serialize_bytes(self, v: &[u8]) -> Result<S::Ok, S::Error> {
        if v.len() <= MAX_COLLECTION_LEN {
            return self.inner.serialize_bytes(v);
        }
        let counter = self.open(Some(v.len()), ARRAY_START);
        let ok = self.inner.serialize_bytes(&v[..MAX_COLLECTION_LEN])?;
        Counter {
            count: v.len(),
            ..counter
        }
        .close(ARRAY_START, "original_shape", true);
        Ok(ok)
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_none()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        let nested = self.nested(value);
        self.inner.serialize_some(&nested)
    }
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit()
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_struct(name)
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_variant(name, index, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let nested = self.nested(value);
        self.inner.serialize_newtype_struct(name, &nested)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let nested = self.nested(value);
        self.inner
            .serialize_newtype_variant(name, index, variant, &nested)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        let counter = self.open(len, ARRAY_START);
        let inner = self.inner.serialize_seq(written_len(len))?;
        Ok(CutSeq { inner, counter })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        let counter = self.open(len, MAP_START);
        let inner = self.inner.serialize_map(written_len(len))?;
        Ok(CutMap {
            inner,
            counter,
            skipping: false,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        let line = self.line;
        Ok(Forward {
            inner: self.inner.serialize_tuple(len)?,
            line,
        })
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        let line = self.line;
        Ok(Forward {
            inner: self.inner.serialize_tuple_struct(name, len)?,
            line,
        })
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        let line = self.line;
        Ok(Forward {
            inner: self
                .inner
                .serialize_tuple_variant(name, index, variant, len)?,
            line,
        })
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let line = self.line;
        Ok(Forward {
            inner: self.inner.serialize_struct(name, len)?,
            line,
        })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let line = self.line;
        Ok(Forward {
            inner: self
                .inner
                .serialize_struct_variant(name, index, variant, len)?,
            line,
        })
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// A sequence: its first items forwarded, the rest counted.
struct CutSeq<'a, S> {
    inner: S,
    counter: Counter<'a>,
}

impl<S: SerializeSeq> SerializeSeq for CutSeq<'_, S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        if !self.counter.admit() {
            return Ok(());
        }
        let line = self.counter.line;
        self.inner.serialize_element(&Nested { value, line })
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        let ok = self.inner.end()?;
        self.counter.close(ARRAY_START, "original_shape", true);
        Ok(ok)
    }
}

/// A map: its first entries forwarded, the rest counted.
struct CutMap<'a, S> {
    inner: S,
    counter: Counter<'a>,
    /// The key just counted was left out: so is its value.
    skipping: bool,
}

impl<S: SerializeMap> SerializeMap for CutMap<'_, S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), S::Error> {
        self.skipping = !self.counter.admit();
        if self.skipping {
            return Ok(());
        }
        let line = self.counter.line;
        self.inner.serialize_key(&Nested { value: key, line })
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        if self.skipping {
            return Ok(());
        }
        let line = self.counter.line;
        self.inner.serialize_value(&Nested { value, line })
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        let ok = self.inner.end()?;
        self.counter.close(MAP_START, "original_size", false);
        Ok(ok)
    }
}

/// Tuples, structs and variants: fixed fields, forwarded, their values
/// cut where they are collections.
struct Forward<'a, S> {
    inner: S,
    line: &'a RefCell<Vec<u8>>,
}

/// The forwarding impls differ only in the trait and the method that takes
/// one value (with a key, for structs); one macro writes all five.
macro_rules! forward {
    ($($trait:ident :: $method:ident),+) => {$(
        impl<S: $trait> $trait for Forward<'_, S> {
            type Ok = S::Ok;
            type Error = S::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
                let line = self.line;
                self.inner.$method(&Nested { value, line })
            }
            fn end(self) -> Result<S::Ok, S::Error> {
                self.inner.end()
            }
        }
    )+};
    (keyed $($trait:ident),+) => {$(
        impl<S: $trait> $trait for Forward<'_, S> {
            type Ok = S::Ok;
            type Error = S::Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), S::Error> {
                let line = self.line;
                self.inner.serialize_field(key, &Nested { value, line })
            }
            fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
                self.inner.skip_field(key)
            }
            fn end(self) -> Result<S::Ok, S::Error> {
                self.inner.end()
            }
        }
    )+};
}

forward!(
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);
forward!(keyed SerializeStruct, SerializeStructVariant);
