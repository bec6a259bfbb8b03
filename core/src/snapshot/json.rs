//! `snapshot -o json`: indented JSON, except that an array inside an array is written on one
//! line (the rows of the v2 route table, its condition lists and parent references), as the
//! YAML form writes them in flow style. Indented through and through, each row took a dozen
//! lines, and the JSON of 5,000 routes 1.7 MB.

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

/// The JSON text of `value`, indented by two spaces, arrays in arrays on one line, ending in a
/// newline.
///
/// # Errors
/// When `value` cannot be written as JSON (a map with non-string keys; never for the snapshot).
pub fn to_json<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        Rows {
            pretty: PrettyFormatter::new(),
            compact: CompactFormatter,
            arrays: Vec::new(),
            flat_from: None,
        },
    );
    value.serialize(&mut ser)?;
    out.push(b'\n');
    // serde_json writes UTF-8 only: no copy on this path.
    Ok(String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// The separator before an item of a flat (one-line) array or object.
fn separator<W: ?Sized + io::Write>(w: &mut W, first: bool) -> io::Result<()> {
    if first { Ok(()) } else { w.write_all(b", ") }
}

struct Rows {
    pretty: PrettyFormatter<'static>,
    compact: CompactFormatter,
    /// For each open container, whether it is an array.
    arrays: Vec<bool>,
    /// The depth of the array that began the one-line part, while in it.
    flat_from: Option<usize>,
}

impl Rows {
    fn flat(&self) -> bool {
        self.flat_from.is_some()
    }
}

impl Formatter for Rows {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.flat_from.is_none() && self.arrays.last() == Some(&true) {
            self.flat_from = Some(self.arrays.len());
        }
        self.arrays.push(true);
        if self.flat() { self.compact.begin_array(w) } else { self.pretty.begin_array(w) }
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.arrays.pop();
        if !self.flat() {
            return self.pretty.end_array(w);
        }
        if self.flat_from == Some(self.arrays.len()) {
            self.flat_from = None;
        }
        self.compact.end_array(w)
    }

    fn begin_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if self.flat() {
            return separator(w, first);
        }
        self.pretty.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.flat() { self.compact.end_array_value(w) } else { self.pretty.end_array_value(w) }
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.arrays.push(false);
        if self.flat() { self.compact.begin_object(w) } else { self.pretty.begin_object(w) }
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.arrays.pop();
        if self.flat() { self.compact.end_object(w) } else { self.pretty.end_object(w) }
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if self.flat() {
            return separator(w, first);
        }
        self.pretty.begin_object_key(w, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.flat() { self.compact.end_object_key(w) } else { self.pretty.end_object_key(w) }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.flat() { w.write_all(b": ") } else { self.pretty.begin_object_value(w) }
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.flat() { self.compact.end_object_value(w) } else { self.pretty.end_object_value(w) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_in_arrays_are_one_line_and_the_value_is_the_same() {
        let v = serde_json::json!({
            "a": [[0, "x", ["h"], [], [[1, null, "ns"]], [[0, 0]], true, {"k": "v", "l": [1]}], [1, "y"]],
            "b": [{"c": [["p", "q"]], "d": {}}],
            "e": [],
            "f": "s",
        });
        let text = to_json(&v).expect("writes");
        assert_eq!(
            text,
            "{\n  \"a\": [\n    [0, \"x\", [\"h\"], [], [[1, null, \"ns\"]], [[0, 0]], true, {\"k\": \"v\", \"l\": [1]}],\n    [1, \"y\"]\n  ],\n  \"b\": [\n    {\n      \"c\": [\n        [\"p\", \"q\"]\n      ],\n      \"d\": {}\n    }\n  ],\n  \"e\": [],\n  \"f\": \"s\"\n}\n"
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).expect("reads"), v);
    }
}
