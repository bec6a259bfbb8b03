//! A YAML reader for what config files, snapshots and `kubectl get -o yaml` hold: block mappings
//! and sequences, flow collections, plain, single- and double-quoted scalars (with escapes and
//! line folding), literal and folded block scalars with chomping and indentation indicators,
//! comments, directives and document markers, anchors and aliases (expanded, within a budget),
//! tags (`!!str` keeps a scalar a string; others are ignored).
//!
//! It reads text into [`Node`]s that remember where they start, so that errors (its own and
//! the deserializer's, see `de.rs`) name the line and column. It is total: any input gives
//! nodes or an error, never a panic; nesting and alias expansion are bounded.

/// How deep collections may nest (a hostile input must not exhaust the stack).
pub(crate) const MAX_DEPTH: usize = 128;
/// How many nodes the aliases of any stream may copy in all (a "billion laughs" input must not
/// exhaust memory); a larger stream may copy up to [`alias_budget`].
pub(crate) const MAX_ALIAS_NODES: usize = 100_000;

/// The nodes the aliases of a stream of `len` bytes may copy: [`MAX_ALIAS_NODES`], or half the
/// stream's length when that is more. Every node written out takes at least two bytes (`1,`),
/// so the copies never hold more nodes than an alias-free stream of the same size could: the
/// budget grows with the document, and memory stays bounded by its size (the file readers cap
/// that), however the aliases nest.
pub(crate) fn alias_budget(len: usize) -> usize {
    MAX_ALIAS_NODES.max(len / 2)
}

/// A node of a document, with the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) at: usize,
    pub(crate) kind: Kind,
}

/// What a node is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A scalar's text; `true` when plain (its type is resolved from the text), `false` when
    /// quoted, a block scalar or tagged `!!str` (always a string).
    Scalar(String, bool),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    fn null(at: usize) -> Self {
        Node { at, kind: Kind::Scalar(String::new(), true) }
    }

    fn size(&self) -> usize {
        match &self.kind {
            Kind::Scalar(..) => 1,
            Kind::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Kind::Map(entries) => 1 + entries.iter().map(|(k, v)| k.size() + v.size()).sum::<usize>(),
        }
    }
}

/// A syntax error at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub(crate) at: usize,
    pub(crate) message: String,
}

type Result<T> = std::result::Result<T, ParseError>;

/// Reads every document of a stream; empty documents are left out.
pub(crate) fn documents(src: &str) -> Result<Vec<Node>> {
    let mut p = Parser {
        src,
        b: src.as_bytes(),
        pos: 0,
        depth: 0,
        anchors: Vec::new(),
        copied: 0,
        budget: alias_budget(src.len()),
    };
    if src.starts_with('\u{feff}') {
        p.pos = 3;
    }
    let mut docs = Vec::new();
    loop {
        p.skip_directives_and_blank();
        if p.eof() {
            break;
        }
        p.anchors.clear();
        if p.marker(b"---") {
            p.pos += 3;
            p.skip_space();
            p.skip_comment();
        } else if p.marker(b"...") {
            p.pos += 3;
            p.end_of_line("`...`")?;
            continue;
        }
        p.skip_blank();
        if !p.eof() && !p.marker(b"---") && !p.marker(b"...") {
            let after_marker = p.b[p.line_start(p.pos)..].starts_with(b"---");
            if !after_marker && !p.indent_is_spaces(p.pos) {
                return Err(p.error_here("tabs are not allowed in indentation"));
            }
            let node = p.node(-1, Ctx::Block)?;
            docs.push(node);
            p.skip_blank();
            if !p.eof() && !p.marker(b"---") && !p.marker(b"...") {
                return Err(
                    p.error_here("expected the end of the document; a new document starts with `---`")
                );
            }
        }
        if p.marker(b"...") {
            p.pos += 3;
            p.end_of_line("`...`")?;
        }
    }
    Ok(docs)
}

/// Where a node stands, which decides what may start it and what ends a plain scalar.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// On lines of its own (or after `- `).
    Block,
    /// After `key: ` on the key's line: no block sequence or mapping may start here.
    MapValue,
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: usize,
    anchors: Vec<(String, Node)>,
    copied: usize,
    /// [`alias_budget`] of the stream.
    budget: usize,
}

fn is_blank_or_end(c: Option<u8>) -> bool {
    matches!(c, None | Some(b' ' | b'\t' | b'\n' | b'\r'))
}

fn is_flow_indicator(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

impl Parser<'_> {
    fn eof(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, i: usize) -> Option<u8> {
        self.b.get(self.pos + i).copied()
    }

    fn error_at(&self, at: usize, message: impl Into<String>) -> ParseError {
        ParseError { at: at.min(self.b.len()), message: message.into() }
    }

    fn error_here(&self, message: impl Into<String>) -> ParseError {
        self.error_at(self.pos, message)
    }

    fn line_start(&self, pos: usize) -> usize {
        self.b[..pos.min(self.b.len())].iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1)
    }

    /// The column (0-based, in bytes; indentation is ASCII) of `pos`.
    fn col(&self, pos: usize) -> usize {
        pos - self.line_start(pos)
    }

    /// Whether everything before `pos` on its line is spaces (block indentation).
    fn indent_is_spaces(&self, pos: usize) -> bool {
        self.b[self.line_start(pos)..pos].iter().all(|&c| c == b' ')
    }

    fn at_line_end(&self) -> bool {
        matches!(self.peek(), None | Some(b'\n' | b'\r'))
    }

    /// A document marker (`---` or `...`) at the start of a line.
    fn marker(&self, m: &[u8]) -> bool {
        self.col(self.pos) == 0 && self.b[self.pos..].starts_with(m) && is_blank_or_end(self.peek_at(3))
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A comment runs to the end of the line (the caller made sure `#` follows a blank).
    fn skip_comment(&mut self) {
        if self.peek() == Some(b'#') {
            while !self.at_line_end() {
                self.pos += 1;
            }
        }
    }

    fn skip_newline(&mut self) -> bool {
        match self.peek() {
            Some(b'\n') => self.pos += 1,
            Some(b'\r') => self.pos += if self.peek_at(1) == Some(b'\n') { 2 } else { 1 },
            _ => return false,
        }
        true
    }

    /// Skips blanks, comments and line breaks up to the next content (or a document marker).
    fn skip_blank(&mut self) {
        loop {
            self.skip_space();
            self.skip_comment();
            if !self.skip_newline() {
                return;
            }
            if self.marker(b"---") || self.marker(b"...") {
                return;
            }
        }
    }

    fn skip_directives_and_blank(&mut self) {
        loop {
            self.skip_blank();
            if self.peek() == Some(b'%') && self.col(self.pos) == 0 {
                while !self.at_line_end() {
                    self.pos += 1;
                }
            } else {
                return;
            }
        }
    }

    /// Only blanks and a comment may follow on this line.
    fn end_of_line(&mut self, after: &str) -> Result<()> {
        let before = self.pos;
        self.skip_space();
        if self.peek() == Some(b'#') && self.pos > before {
            self.skip_comment();
        }
        if self.at_line_end() {
            Ok(())
        } else {
            Err(self.error_here(format!("unexpected text after {after}")))
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_here(format!("collections nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    /// After a node's properties or indicator, at the end of its line: moves to the content on
    /// the following lines, and says whether it belongs to a node indented more than `parent`.
    fn next_line_content(&mut self, parent: isize) -> Result<bool> {
        self.skip_blank();
        if self.eof() || self.marker(b"---") || self.marker(b"...") {
            return Ok(false);
        }
        if !self.indent_is_spaces(self.pos) {
            return Err(self.error_here("tabs are not allowed in indentation"));
        }
        Ok(self.col(self.pos) as isize > parent)
    }

    /// A node at the current position (its first character), inside a block collection
    /// indented at `parent` (-1 at the top).
    fn node(&mut self, parent: isize, ctx: Ctx) -> Result<Node> {
        let start = self.pos;
        let (anchor, string_tag) = self.properties()?;
        let mut ctx = ctx;
        if (anchor.is_some() || string_tag) && (self.at_line_end() || self.peek() == Some(b'#')) {
            // `key: &anchor` with the node on the following lines.
            if !self.next_line_content(parent)? {
                // `key: &anchor` over a sequence at the key's own indentation.
                let compact = ctx == Ctx::MapValue
                    && !self.eof()
                    && self.col(self.pos) as isize == parent
                    && self.peek() == Some(b'-')
                    && is_blank_or_end(self.peek_at(1))
                    && !self.marker(b"---");
                let node = if compact { self.block_seq(parent)? } else { Node::null(start) };
                return Ok(self.anchored(anchor, node));
            }
            ctx = Ctx::Block;
        }
        let node = self.node_body(parent, ctx, string_tag)?;
        Ok(self.anchored(anchor, node))
    }

    fn anchored(&mut self, anchor: Option<String>, node: Node) -> Node {
        if let Some(name) = anchor {
            self.anchors.retain(|(n, _)| *n != name);
            self.anchors.push((name, node.clone()));
        }
        node
    }

    /// `&anchor` and `!tag`, in either order; whether the tag is `!!str`.
    fn properties(&mut self) -> Result<(Option<String>, bool)> {
        let (mut anchor, mut string_tag) = (None, false);
        loop {
            match self.peek() {
                Some(b'&') if anchor.is_none() => {
                    self.pos += 1;
                    let name = self.name();
                    if name.is_empty() {
                        return Err(self.error_here("an anchor (`&`) needs a name"));
                    }
                    anchor = Some(name.to_owned());
                }
                Some(b'!') => {
                    let tag = self.name();
                    string_tag |= tag == "!!str" || tag == "!<tag:yaml.org,2002:str>";
                }
                _ => return Ok((anchor, string_tag)),
            }
            self.skip_space();
        }
    }

    /// An anchor, alias or tag name: up to a blank or a flow indicator.
    fn name(&mut self) -> &str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if is_blank_or_end(Some(c)) || is_flow_indicator(c) {
                break;
            }
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    fn alias(&mut self) -> Result<Node> {
        let at = self.pos;
        self.pos += 1;
        let name = self.name().to_owned();
        let Some((_, node)) = self.anchors.iter().rev().find(|(n, _)| *n == name) else {
            return Err(self.error_at(at, format!("unknown anchor `{name}`")));
        };
        let mut node = node.clone();
        self.copied += node.size();
        if self.copied > self.budget {
            let budget = self.budget;
            return Err(self.error_at(
                at,
                format!("aliases expand to more than {budget} nodes (at most the larger of {MAX_ALIAS_NODES} and half the document's bytes)"),
            ));
        }
        node.at = at;
        Ok(node)
    }

    fn node_body(&mut self, parent: isize, ctx: Ctx, string_tag: bool) -> Result<Node> {
        let start = self.pos;
        let col = self.col(start) as isize;
        match self.peek() {
            Some(b'-') if is_blank_or_end(self.peek_at(1)) => {
                if ctx == Ctx::MapValue {
                    return Err(self.error_here("a block sequence may not start on the line of its key"));
                }
                self.block_seq(col)
            }
            Some(b'|' | b'>') => self.block_scalar(parent),
            Some(b'?') if is_blank_or_end(self.peek_at(1)) => {
                Err(self.error_here("explicit keys (`? `) are not supported; write `key: value`"))
            }
            Some(b'*') => {
                let node = self.alias()?;
                self.after_scalar(node, parent, col, ctx)
            }
            Some(b'[' | b'{') => {
                let node = self.flow_node()?;
                self.skip_space();
                if self.peek() == Some(b':') && is_blank_or_end(self.peek_at(1)) {
                    return Err(self.error_at(start, "collections as mapping keys are not supported"));
                }
                Ok(node)
            }
            Some(b'"' | b'\'') => {
                let line = self.line_start(start);
                let mut node = self.quoted()?;
                if self.line_start(self.pos) == line {
                    node = self.after_scalar(node, parent, col, ctx)?;
                }
                Ok(node)
            }
            Some(c) if matches!(c, b'@' | b'`' | b'%') => {
                Err(self.error_here(format!("a plain scalar may not start with `{}`; quote it", c as char)))
            }
            _ => {
                let (text, key) = self.plain_line(false);
                let node = Node { at: start, kind: Kind::Scalar(text, !string_tag) };
                if key {
                    return self.after_scalar(node, parent, col, ctx);
                }
                self.plain_rest(node, parent)
            }
        }
    }

    /// After a scalar on one line: `:` makes it the first key of a block mapping at `col`.
    fn after_scalar(&mut self, node: Node, parent: isize, col: isize, ctx: Ctx) -> Result<Node> {
        self.skip_space();
        if self.peek() == Some(b':') && is_blank_or_end(self.peek_at(1)) {
            if ctx == Ctx::MapValue {
                return Err(
                    self.error_here("mapping values are not allowed here (quote a value that has `: `)")
                );
            }
            if col <= parent {
                return Err(self.error_at(node.at, "bad indentation of a mapping entry"));
            }
            self.pos += 1;
            return self.block_map(col, node);
        }
        Ok(node)
    }

    fn block_map(&mut self, col: isize, first_key: Node) -> Result<Node> {
        self.enter()?;
        let at = first_key.at;
        let mut entries: Vec<(Node, Node)> = Vec::new();
        let mut key = first_key;
        loop {
            let value = self.map_value(col)?;
            entries.push((key, value));
            self.skip_blank();
            if self.eof() || self.marker(b"---") || self.marker(b"...") {
                break;
            }
            let c = self.col(self.pos) as isize;
            if c < col {
                break;
            }
            if c > col || !self.indent_is_spaces(self.pos) {
                return Err(self.error_here("bad indentation of a mapping entry"));
            }
            key = self.map_key()?;
        }
        self.depth -= 1;
        self.unique_keys(&entries)?;
        Ok(Node { at, kind: Kind::Map(entries) })
    }

    /// A mapping's keys are unique (in O(n log n): a hostile mapping may have many).
    fn unique_keys(&self, entries: &[(Node, Node)]) -> Result<()> {
        let mut keys: Vec<(&str, usize)> = entries
            .iter()
            .filter_map(|(k, _)| match &k.kind {
                Kind::Scalar(t, _) => Some((t.as_str(), k.at)),
                _ => None,
            })
            .collect();
        keys.sort_unstable();
        match keys
            .windows(2)
            .filter(|w| w[0].0 == w[1].0)
            .map(|w| (w[0].0, w[0].1.max(w[1].1)))
            .min_by_key(|k| k.1)
        {
            Some((k, at)) => Err(self.error_at(at, format!("duplicate mapping key `{k}`"))),
            None => Ok(()),
        }
    }

    /// A key of a block mapping, and its `:`.
    fn map_key(&mut self) -> Result<Node> {
        let start = self.pos;
        let key = match self.peek() {
            Some(b'"' | b'\'') => self.quoted()?,
            Some(b'*') => self.alias()?,
            Some(b'-') if is_blank_or_end(self.peek_at(1)) => {
                return Err(self.error_here("expected a mapping key, found a sequence entry (`- `)"));
            }
            Some(b'?') if is_blank_or_end(self.peek_at(1)) => {
                return Err(self.error_here("explicit keys (`? `) are not supported; write `key: value`"));
            }
            Some(b'[' | b'{') => return Err(self.error_here("collections as mapping keys are not supported")),
            _ => {
                let (text, _) = self.plain_line(false);
                Node { at: start, kind: Kind::Scalar(text, true) }
            }
        };
        self.skip_space();
        if self.peek() == Some(b':') && is_blank_or_end(self.peek_at(1)) {
            self.pos += 1;
            Ok(key)
        } else {
            Err(self.error_at(start, "while reading a block mapping, did not find the expected `key:`"))
        }
    }

    /// The value after `key:` of a mapping indented at `col`.
    fn map_value(&mut self, col: isize) -> Result<Node> {
        let after = self.pos;
        self.skip_space();
        if self.peek() == Some(b'#') && self.pos == after {
            return Err(self.error_here("a comment needs a blank before `#`"));
        }
        self.skip_comment();
        if !self.at_line_end() {
            return self.node(col, Ctx::MapValue);
        }
        if self.next_line_content(col)? {
            return self.node(col, Ctx::Block);
        }
        // A sequence may sit at the key's own indentation.
        if !self.eof()
            && self.col(self.pos) as isize == col
            && self.peek() == Some(b'-')
            && is_blank_or_end(self.peek_at(1))
            && !self.marker(b"---")
        {
            return self.block_seq(col);
        }
        Ok(Node::null(after))
    }

    fn block_seq(&mut self, col: isize) -> Result<Node> {
        self.enter()?;
        let at = self.pos;
        let mut items = Vec::new();
        loop {
            // At `-`.
            let dash = self.pos;
            self.pos += 1;
            self.skip_space();
            self.skip_comment();
            let item = if !self.at_line_end() || self.next_line_content(col)? {
                self.node(col, Ctx::Block)?
            } else {
                Node::null(dash + 1)
            };
            items.push(item);
            self.skip_blank();
            if self.eof() || self.marker(b"---") || self.marker(b"...") {
                break;
            }
            let c = self.col(self.pos) as isize;
            if c > col || (c == col && !self.indent_is_spaces(self.pos)) {
                return Err(self.error_here("bad indentation of a sequence entry"));
            }
            if c < col || !(self.peek() == Some(b'-') && is_blank_or_end(self.peek_at(1))) {
                break;
            }
        }
        self.depth -= 1;
        Ok(Node { at, kind: Kind::Seq(items) })
    }

    /// One line of a plain scalar, trimmed; whether it ended at a `: ` (it is a key).
    fn plain_line(&mut self, flow: bool) -> (String, bool) {
        let start = self.pos;
        let mut end = start;
        let mut key = false;
        while let Some(c) = self.peek() {
            match c {
                b'\n' | b'\r' => break,
                b':' if is_blank_or_end(self.peek_at(1))
                    || (flow && self.peek_at(1).is_some_and(is_flow_indicator)) =>
                {
                    key = true;
                    break;
                }
                b'#' if self.pos > start && matches!(self.b[self.pos - 1], b' ' | b'\t') => break,
                c if flow && is_flow_indicator(c) => break,
                b' ' | b'\t' => {}
                _ => end = self.pos + 1,
            }
            self.pos += 1;
        }
        // Trailing blanks are not part of the scalar; leave the position after its text.
        let text = self.src[start..end.max(start)].to_owned();
        if !key {
            self.pos = end.max(start);
        }
        (text, key)
    }

    /// The continuation lines of a multi-line plain scalar (indented more than `parent`).
    fn plain_rest(&mut self, mut node: Node, parent: isize) -> Result<Node> {
        let Kind::Scalar(text, _) = &mut node.kind else { return Ok(node) };
        loop {
            let save = self.pos;
            self.skip_space();
            if self.peek() == Some(b'#') {
                self.pos = save;
                return Ok(node);
            }
            let mut breaks = 0;
            while self.skip_newline() {
                breaks += 1;
                self.skip_space();
            }
            let ok = breaks > 0
                && !self.eof()
                && self.col(self.pos) as isize > parent
                && self.peek() != Some(b'#')
                && !self.marker(b"---")
                && !self.marker(b"...")
                && self.indent_is_spaces(self.pos);
            if !ok {
                self.pos = save;
                return Ok(node);
            }
            let line_at = self.pos;
            let (more, key) = self.plain_line(false);
            if key {
                return Err(
                    self.error_at(line_at, "mapping values are not allowed in a multi-line plain scalar")
                );
            }
            if breaks == 1 {
                text.push(' ');
            } else {
                (1..breaks).for_each(|_| text.push('\n'));
            }
            text.push_str(&more);
        }
    }

    /// A double- or single-quoted scalar, folding its line breaks.
    fn quoted(&mut self) -> Result<Node> {
        let start = self.pos;
        let double = self.peek() == Some(b'"');
        self.pos += 1;
        let mut out = String::new();
        // The length of `out` without the blanks typed at the end of the current line (escaped
        // ones, `\t`, are content and stay when the line is folded).
        let mut kept = 0;
        loop {
            kept = if matches!(out.as_bytes().last(), Some(b' ' | b'\t')) { kept } else { out.len() };
            let Some(c) = self.peek() else {
                return Err(self.error_at(start, "unclosed quote"));
            };
            match c {
                b'"' if double => {
                    self.pos += 1;
                    break;
                }
                b'\'' if !double => {
                    if self.peek_at(1) == Some(b'\'') {
                        out.push('\'');
                        self.pos += 2;
                    } else {
                        self.pos += 1;
                        break;
                    }
                }
                b'\\' if double => {
                    if matches!(self.peek_at(1), Some(b'\n' | b'\r')) {
                        self.pos += 1;
                        self.skip_newline();
                        self.skip_space();
                    } else {
                        self.escape(&mut out)?;
                        kept = out.len();
                        continue;
                    }
                }
                b'\n' | b'\r' => {
                    out.truncate(kept);
                    let mut breaks = 0;
                    while self.skip_newline() {
                        breaks += 1;
                        if self.marker(b"---") || self.marker(b"...") {
                            return Err(self.error_at(start, "unclosed quote"));
                        }
                        self.skip_space();
                    }
                    if breaks == 1 {
                        out.push(' ');
                    } else {
                        (1..breaks).for_each(|_| out.push('\n'));
                    }
                }
                _ => {
                    let ch = self.src[self.pos..].chars().next().unwrap_or('\u{fffd}');
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
        Ok(Node { at: start, kind: Kind::Scalar(out, false) })
    }

    fn escape(&mut self, out: &mut String) -> Result<()> {
        let at = self.pos;
        self.pos += 1;
        let Some(c) = self.peek() else { return Err(self.error_at(at, "unclosed quote")) };
        self.pos += 1;
        let simple = match c {
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b't' | b'\t' => '\t',
            b'n' => '\n',
            b'v' => '\u{b}',
            b'f' => '\u{c}',
            b'r' => '\r',
            b'e' => '\u{1b}',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' | b'u' | b'U' => {
                let n = match c {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = self.src.get(self.pos..self.pos + n).unwrap_or("");
                let ch = (hex.len() == n && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| u32::from_str_radix(hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32)
                    .ok_or_else(|| self.error_at(at, format!("invalid escape `\\{}{hex}`", c as char)))?;
                self.pos += n;
                ch
            }
            _ => {
                let ch = self.src[at + 1..].chars().next().unwrap_or('?');
                return Err(self.error_at(at, format!("unknown escape `\\{ch}`")));
            }
        };
        out.push(simple);
        Ok(())
    }

    /// `|` or `>` with its indicators, and the lines indented more than `parent`.
    fn block_scalar(&mut self, parent: isize) -> Result<Node> {
        let start = self.pos;
        let literal = self.peek() == Some(b'|');
        self.pos += 1;
        let (mut chomp, mut explicit) = (b' ', None);
        for _ in 0..2 {
            match self.peek() {
                Some(c @ (b'-' | b'+')) if chomp == b' ' => chomp = c,
                Some(c @ b'1'..=b'9') if explicit.is_none() => explicit = Some(isize::from(c - b'0')),
                _ => break,
            }
            self.pos += 1;
        }
        self.end_of_line("a block scalar's indicators")?;
        self.skip_newline();
        // The lines: (leading spaces, text after them), up to one indented no more than `parent`.
        let mut lines: Vec<(usize, &str)> = Vec::new();
        let mut indent = explicit.map(|d| (parent.max(0) + d) as usize);
        while !self.eof() {
            let line_at = self.pos;
            let mut end = line_at;
            while end < self.b.len() && !matches!(self.b[end], b'\n' | b'\r') {
                end += 1;
            }
            let line = &self.src[line_at..end];
            let spaces = line.bytes().take_while(|&c| c == b' ').count();
            let blank = line.bytes().all(|c| c == b' ');
            if !blank {
                let need = *indent.get_or_insert(spaces);
                if (spaces as isize) <= parent || spaces < need || self.marker(b"---") || self.marker(b"...")
                {
                    break;
                }
            }
            lines.push((spaces, line));
            self.pos = end;
            self.skip_newline();
        }
        let indent = indent.unwrap_or(0);
        // Trailing blank lines belong to the chomping, not the content; give back the breaks
        // after the last line this scalar owns so the caller sees the next line's start.
        let content: Vec<&str> =
            lines.iter().map(|&(_, l)| if l.len() > indent { &l[indent..] } else { "" }).collect();
        let body = content.iter().rposition(|l| !l.is_empty()).map_or(0, |i| i + 1);
        let trailing = content.len() - body;
        let mut out = String::new();
        if literal {
            out = content[..body].join("\n");
        } else {
            let mut prev_more: Option<bool> = None;
            let mut breaks = 0;
            for l in &content[..body] {
                if l.is_empty() {
                    breaks += 1;
                    continue;
                }
                let more = l.starts_with([' ', '\t']);
                match prev_more {
                    None => (0..breaks).for_each(|_| out.push('\n')),
                    Some(p) if !p && !more && breaks == 0 => out.push(' '),
                    Some(p) if !p && !more => (0..breaks).for_each(|_| out.push('\n')),
                    Some(_) => (0..=breaks).for_each(|_| out.push('\n')),
                }
                out.push_str(l);
                prev_more = Some(more);
                breaks = 0;
            }
        }
        match chomp {
            b'-' => {}
            b'+' => {
                if body > 0 {
                    out.push('\n');
                }
                (0..trailing).for_each(|_| out.push('\n'));
            }
            _ if body > 0 => out.push('\n'),
            _ => {}
        }
        Ok(Node { at: start, kind: Kind::Scalar(out, false) })
    }

    /// Blanks, line breaks and comments inside a flow collection.
    fn skip_flow_blank(&mut self) {
        loop {
            let before = self.pos;
            self.skip_space();
            if self.peek() == Some(b'#') && (self.pos > before || self.col(self.pos) == 0) {
                self.skip_comment();
            }
            if !self.skip_newline() {
                return;
            }
        }
    }

    fn flow_node(&mut self) -> Result<Node> {
        self.enter()?;
        let start = self.pos;
        let map = self.peek() == Some(b'{');
        let close = if map { b'}' } else { b']' };
        self.pos += 1;
        let (mut items, mut entries) = (Vec::new(), Vec::new());
        loop {
            self.skip_flow_blank();
            match self.peek() {
                None => {
                    return Err(
                        self.error_at(start, format!("unclosed bracket '{}'", if map { '{' } else { '[' }))
                    );
                }
                Some(c) if c == close => {
                    self.pos += 1;
                    break;
                }
                _ => {}
            }
            let key = self.flow_item()?;
            self.skip_flow_blank();
            let pair = self.peek() == Some(b':');
            let value = if pair {
                self.pos += 1;
                self.skip_flow_blank();
                if matches!(self.peek(), Some(b',' | b'}' | b']')) {
                    Node::null(self.pos)
                } else {
                    self.flow_item()?
                }
            } else {
                Node::null(self.pos)
            };
            if map {
                entries.push((key, value));
            } else if pair {
                items.push(Node { at: key.at, kind: Kind::Map(vec![(key, value)]) });
            } else {
                items.push(key);
            }
            self.skip_flow_blank();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {}
                None => {}
                Some(_) => {
                    return Err(self.error_here(format!("expected `,` or `{}`", close as char)));
                }
            }
        }
        self.depth -= 1;
        self.unique_keys(&entries)?;
        let kind = if map { Kind::Map(entries) } else { Kind::Seq(items) };
        Ok(Node { at: start, kind })
    }

    fn flow_item(&mut self) -> Result<Node> {
        let start = self.pos;
        let (anchor, string_tag) = self.properties()?;
        self.skip_flow_blank();
        let node = match self.peek() {
            Some(b'[' | b'{') => self.flow_node()?,
            Some(b'"' | b'\'') => self.quoted()?,
            Some(b'*') => self.alias()?,
            Some(b',' | b']' | b'}') | None if anchor.is_some() || string_tag => Node::null(start),
            Some(b',' | b']' | b'}' | b':') | None => return Err(self.error_here("expected a value")),
            Some(_) => {
                let at = self.pos;
                let mut text = self.plain_line(true).0;
                // A plain scalar in a flow collection may go on over lines.
                loop {
                    let save = self.pos;
                    self.skip_flow_blank();
                    if self.pos == save
                        || self.line_start(self.pos) == self.line_start(save)
                        || self.peek().is_none_or(|c| is_flow_indicator(c) || c == b':' || c == b'#')
                    {
                        self.pos = save;
                        break;
                    }
                    let (more, _) = self.plain_line(true);
                    text.push(' ');
                    text.push_str(&more);
                }
                Node { at, kind: Kind::Scalar(text, !string_tag) }
            }
        };
        Ok(self.anchored(anchor, node))
    }
}

/// Line and column (both 1-based; the column in characters) of a byte offset.
pub(crate) fn line_col(src: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    let before = &src[..at];
    let line = before.bytes().filter(|&c| c == b'\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// The message with its place: `line L column C: …` and the lines around it, a caret under the
/// column (as the CLI has always shown YAML errors).
pub(crate) fn render_error(src: &str, at: usize, message: &str) -> String {
    let (line, col) = line_col(src, at);
    let lines: Vec<&str> = src.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let first = line.saturating_sub(2).max(1);
    let last = (line + 2).min(lines.len().max(line));
    let width = last.to_string().len();
    let pad = " ".repeat(width);
    let mut out =
        format!("error: line {line} column {col}: {message}\n{pad}--> <input>:{line}:{col}\n{pad} |\n");
    for n in first..=last {
        let text = lines.get(n - 1).copied().unwrap_or("");
        if n > line && text.trim().is_empty() && n == lines.len() {
            break;
        }
        out.push_str(&format!("{n:>width$} | {text}\n"));
        if n == line {
            out.push_str(&format!("{pad} | {}^ {message}\n", " ".repeat(col - 1)));
        }
    }
    if !out.ends_with(&format!("^ {message}\n")) {
        out.push_str(&format!("{pad} |\n"));
    }
    out.pop();
    out
}
