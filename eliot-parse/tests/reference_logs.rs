//! The parser rebuilds, from the logs written by Python's Eliot, the trees
//! Python's eliot-tree drew for them (the workspace's
//! tests/data/reference-logs): the same tasks, in the same order, the same
//! actions and messages at the same places, with the same fields; in any
//! order of the lines.

use std::path::PathBuf;

use eliot_parse::{LogReader, Node, Task, parse_log};

fn reference(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/reference-logs"
    ))
    .join(name)
}

/// The names (without extension) of the reference logs: every log with
/// the tree Python's eliot-tree drew for it.
fn reference_logs() -> Vec<String> {
    let dir = reference("");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the reference logs are in {}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(".tree.txt")?.to_owned())
        })
        .collect();
    names.sort();
    assert!(
        names.len() >= 3,
        "reference logs missing from {}",
        dir.display()
    );
    names
}

/// One node of a drawn tree: its depth, its name (`type/level`, `⇒ status`
/// for actions), and the keys of the fields drawn right under it.
#[derive(Debug, PartialEq)]
struct Drawn {
    depth: usize,
    name: String,
    keys: Vec<String>,
}

/// The nodes of the trees in a `.tree.txt` file, task by task.
fn drawn_trees(text: &str) -> Vec<(String, Vec<Drawn>)> {
    let mut tasks = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut lines = block.lines();
        let uuid = lines.next().unwrap().to_owned();
        let mut nodes: Vec<Drawn> = Vec::new();
        for line in lines {
            let chars: Vec<char> = line.chars().collect();
            let mut depth = 0;
            while chars.len() >= (depth + 1) * 4
                && "│ ├└".contains(chars[depth * 4])
                && chars[depth * 4 + 3] == ' '
            {
                depth += 1;
            }
            let label: String = chars[depth * 4..].iter().collect();
            // A node's name has a level, `/1` or `/3/2`, right after its type.
            let is_node = label.split(' ').next().is_some_and(|word| {
                word.contains('/') && word.rsplit('/').next().unwrap().parse::<u32>().is_ok()
            }) && (label.contains(" ⇒ ") || label.ends_with('Z'));
            if is_node {
                let name = match label.split_once(" ⇒ ") {
                    Some((head, rest)) => format!("{head} ⇒ {}", rest.split(' ').next().unwrap()),
                    None => label.split(' ').next().unwrap().to_owned(),
                };
                nodes.push(Drawn {
                    depth,
                    name,
                    keys: Vec::new(),
                });
            } else if let Some(node) = nodes.last_mut().filter(|n| n.depth + 1 == depth) {
                node.keys.push(label.split(": ").next().unwrap().to_owned());
            }
        }
        tasks.push((uuid, nodes));
    }
    tasks
}

/// The same view of a parsed task, walked the way eliot-tree draws it.
fn walk(task: &Task) -> Vec<Drawn> {
    fn keys(message: Option<&eliot_parse::WrittenMessage>) -> Vec<String> {
        message.map_or_else(Vec::new, |m| m.fields().keys().cloned().collect())
    }
    fn visit(node: &Node, depth: usize, out: &mut Vec<Drawn>) {
        match node {
            Node::Message(message) => out.push(Drawn {
                depth,
                name: format!(
                    "{}{}",
                    message.message_type().unwrap(),
                    message.task_level()
                ),
                keys: keys(Some(message)),
            }),
            Node::Action(action) => {
                let start = action.start_message().expect("reference logs are complete");
                out.push(Drawn {
                    depth,
                    name: format!(
                        "{}{} ⇒ started",
                        action.action_type().unwrap(),
                        start.task_level()
                    ),
                    keys: keys(Some(start)),
                });
                for child in action.children() {
                    visit(child, depth + 1, out);
                }
                let end = action.end_message().unwrap();
                out.push(Drawn {
                    depth: depth + 1,
                    name: format!(
                        "{}{} ⇒ {}",
                        end.action_type().unwrap(),
                        end.task_level(),
                        end.action_status().unwrap()
                    ),
                    keys: keys(Some(end)),
                });
            }
        }
    }
    let mut out = Vec::new();
    visit(task.root(), 1, &mut out);
    out
}

#[test]
fn every_reference_log_parses_to_the_trees_eliot_tree_drew() {
    for name in reference_logs() {
        let drawn =
            drawn_trees(&std::fs::read_to_string(reference(&format!("{name}.tree.txt"))).unwrap());
        let events: Vec<_> = LogReader::open([reference(&format!("{name}.log"))])
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let tasks: Vec<Task> = events
            .into_iter()
            .map(|event| match event {
                eliot_parse::Event::Task(task) => task,
                eliot_parse::Event::Malformed(bad) => panic!("{name}: {bad}"),
            })
            .collect();
        assert_eq!(tasks.len(), drawn.len(), "{name}: number of tasks");
        assert!(
            drawn.iter().all(|(_, nodes)| !nodes.is_empty()),
            "{name}: the drawn trees were read"
        );
        for (task, (uuid, nodes)) in tasks.iter().zip(&drawn) {
            assert_eq!(
                task.task_uuid(),
                uuid,
                "{name}: tasks come in the order they complete"
            );
            assert!(task.is_complete(), "{name}: {uuid} is complete");
            assert_eq!(&walk(task), nodes, "{name}: task {uuid}");
        }
        let lines = std::fs::read_to_string(reference(&format!("{name}.log")))
            .unwrap()
            .lines()
            .count();
        assert_eq!(
            tasks.iter().map(Task::len).sum::<usize>(),
            lines,
            "{name}: every line is in a tree"
        );
    }
}

/// A deterministic shuffle.
fn shuffled<T>(mut items: Vec<T>, seed: u64) -> Vec<T> {
    let mut state = seed | 1;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
    items
}

#[test]
fn any_order_of_the_lines_gives_the_same_trees() {
    for name in reference_logs() {
        let log = std::fs::read_to_string(reference(&format!("{name}.log"))).unwrap();
        let reference_json = |tasks: &[Task]| {
            let mut json: Vec<String> = tasks
                .iter()
                .map(|t| serde_json::to_string(t).unwrap())
                .collect();
            json.sort();
            json
        };
        let expected = reference_json(&parse_log(&log).tasks);
        for seed in 1..=20 {
            let lines = shuffled(log.lines().collect(), seed);
            let parsed = parse_log(&lines.join("\n"));
            assert!(parsed.malformed.is_empty());
            assert!(
                parsed.tasks.iter().all(Task::is_complete),
                "{name}, shuffle {seed}"
            );
            assert_eq!(
                reference_json(&parsed.tasks),
                expected,
                "{name}, shuffle {seed}"
            );
        }
    }
}
