//! Text layout for the human forms (`render -o plan`, `status`): tables, prose and shell commands
//! fitted to a width in columns, for a terminal or the browser page's box.
//!
//! Without a width everything is laid out as it always was (one line per paragraph, tables as
//! wide as their widest cell), so piped output and the golden files do not change. Widths count
//! characters: every cell and message here is ASCII or narrow punctuation (`—`, `✓`).

/// Characters of `text` (its width in a monospace font, for this tool's text).
fn cols(text: &str) -> usize {
    text.chars().count()
}

/// A table: one space of padding each side of a cell, one blank column between cells, trailing
/// spaces trimmed. With a width it does not fit in, the widest columns wrap their words; when
/// even that does not fit, each row becomes a block of `HEADER  value` lines.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>], width: Option<usize>) -> String {
    let n = header.len();
    let natural: Vec<usize> = (0..n)
        .map(|c| {
            rows.iter().map(|r| r.get(c).map_or(0, |s| cols(s))).chain([cols(header[c])]).max().unwrap_or(0)
        })
        .collect();
    // Each cell is padded by one space both sides, and cells are one column apart.
    let overhead = 3 * n - 1;
    let total = |w: &[usize]| w.iter().sum::<usize>() + overhead;
    let Some(limit) = width.filter(|&l| total(&natural) > l) else {
        return grid(header, rows, &natural);
    };
    // The narrowest a column can be: its header, and its longest word.
    let min: Vec<usize> = (0..n)
        .map(|c| {
            rows.iter()
                .flat_map(|r| r.get(c).map(String::as_str).unwrap_or_default().split(' '))
                .chain([header[c]])
                .map(cols)
                .max()
                .unwrap_or(0)
        })
        .collect();
    if total(&min) > limit {
        return records(header, rows, limit);
    }
    // Take a column off the widest column that can still give, until the table fits.
    let mut widths = natural;
    while total(&widths) > limit {
        let Some(c) = (0..n).filter(|&c| widths[c] > min[c]).max_by_key(|&c| (widths[c], n - c)) else {
            break;
        };
        widths[c] -= 1;
    }
    grid(header, rows, &widths)
}

/// Rows of cells at these column widths, wrapping cells wider than their column.
fn grid(header: &[&str], rows: &[Vec<String>], widths: &[usize]) -> String {
    let mut lines = Vec::new();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(c, &w)| wrap_words(row.get(c).map(String::as_str).unwrap_or_default(), w))
            .collect();
        let height = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        for i in 0..height {
            let mut line = String::new();
            for (c, &w) in widths.iter().enumerate() {
                let text = cells[c].get(i).map(String::as_str).unwrap_or_default();
                if c > 0 {
                    line.push(' ');
                }
                line.push(' ');
                line.push_str(text);
                line.extend(std::iter::repeat_n(' ', w.saturating_sub(cols(text)) + 1));
            }
            lines.push(line.trim_end().to_owned());
        }
    }
    lines.join("\n")
}

/// Each row as a block: the first cell alone, then `HEADER  value` for the others, wrapped under
/// the value; blocks separated by a blank line.
fn records(header: &[&str], rows: &[Vec<String>], width: usize) -> String {
    let label = header.iter().skip(1).map(|h| cols(h)).max().unwrap_or(0);
    let mut blocks = Vec::new();
    for row in rows {
        let mut block = wrap(row.first().map(String::as_str).unwrap_or_default(), width, " ", "   ");
        for (h, cell) in header.iter().zip(row).skip(1) {
            let first = format!("   {h:<label$}  ");
            let rest = " ".repeat(cols(&first));
            block.push('\n');
            block.push_str(&wrap(cell, width, &first, &rest));
        }
        blocks.push(block);
    }
    blocks.join("\n\n")
}

/// Words of `text` in lines of at most `width` characters; a longer word gets a line of its own.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && cols(&line) + 1 + cols(word) > width {
            let full = std::mem::take(&mut line);
            lines.push(full.trim_end().to_owned());
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// A paragraph: `first` before its first line and `rest` before the others, words wrapped to
/// `width` (no limit: one line). Each line of `text` is wrapped on its own.
pub(crate) fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = Vec::new();
    for (i, para) in text.lines().enumerate() {
        let lead = if i == 0 { first } else { rest };
        let room = width.saturating_sub(cols(lead).max(cols(rest))).max(20);
        for (j, line) in wrap_words(para, room).into_iter().enumerate() {
            out.push(format!("{}{line}", if j == 0 { lead } else { rest }));
        }
    }
    if out.is_empty() {
        out.push(first.trim_end().to_owned());
    }
    out.join("\n")
}

/// [`wrap`] when there is a width, else the lines as they are, each after its prefix.
pub(crate) fn wrap_opt(text: &str, width: Option<usize>, first: &str, rest: &str) -> String {
    match width {
        Some(w) => wrap(text, w, first, rest),
        None => text
            .lines()
            .enumerate()
            .map(|(i, l)| format!("{}{l}", if i == 0 { first } else { rest }))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// A command line split at spaces outside single and double quotes; everything else is kept as
/// it is, so joining the words with spaces gives the line back.
fn shell_words(line: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let (mut single, mut double, mut escaped) = (false, false, false);
    for ch in line.chars() {
        if escaped {
            escaped = false;
        } else if ch == '\\' && !single {
            escaped = true;
        } else if ch == '\'' && !double {
            single = !single;
        } else if ch == '"' && !single {
            double = !double;
        } else if ch == ' ' && !single && !double {
            words.push(std::mem::take(&mut word));
            continue;
        }
        word.push(ch);
    }
    words.push(word);
    words
}

/// One line of a shell command, broken with ` \` at spaces outside quotes so that every line
/// fits `width` after its prefix (`first` on the first line, `rest` after). Copied back into a
/// shell it is the same command. A word longer than the room (a URL) keeps its line.
pub(crate) fn command_lines(line: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let words = shell_words(line);
    let mut out: Vec<String> = Vec::new();
    let mut current = first.to_owned();
    let mut empty = true;
    for w in words {
        // ` \` must still fit after the word when another line follows.
        if !empty && cols(&current) + 1 + cols(&w) + 2 > width {
            current.push_str(" \\");
            out.push(std::mem::replace(&mut current, rest.to_owned()));
            empty = true;
        }
        if !empty {
            current.push(' ');
        }
        current.push_str(&w);
        empty = false;
    }
    out.push(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(r: &[&[&str]]) -> Vec<Vec<String>> {
        r.iter().map(|r| r.iter().map(|s| (*s).to_owned()).collect()).collect()
    }

    #[test]
    fn a_table_that_fits_is_padded_and_trimmed() {
        let t = table(&["NAME", "FOR"], &rows(&[&["a", "control plane"], &["longer", "x"]]), Some(80));
        assert_eq!(t, " NAME     FOR\n a        control plane\n longer   x");
        assert_eq!(t, table(&["NAME", "FOR"], &rows(&[&["a", "control plane"], &["longer", "x"]]), None));
    }

    #[test]
    fn a_wide_table_wraps_its_widest_column_then_becomes_records() {
        let r = rows(&[&["https-workloads", "HTTPS/443", "workspaces and training (subdomains) and more"]]);
        let t = table(&["NAME", "PORT", "FOR"], &r, Some(50));
        assert!(t.lines().all(|l| cols(l) <= 50), "{t}");
        assert!(
            t.starts_with(
                " NAME              PORT        FOR\n https-workloads   HTTPS/443   workspaces and\n"
            ),
            "{t}"
        );
        assert!(t.lines().skip(2).all(|l| l.starts_with(&" ".repeat(31))), "{t}");
        let t = table(&["NAME", "PORT", "FOR"], &r, Some(30));
        assert!(t.lines().all(|l| cols(l) <= 30), "{t}");
        assert!(t.starts_with(" https-workloads\n   PORT  HTTPS/443\n   FOR   workspaces"), "{t}");
    }

    #[test]
    fn commands_break_outside_quotes_only() {
        let cmd = "kubectl get secret a -n runai -o name || { echo 'missing; create it from your files' >&2; exit 1; }";
        let lines = command_lines(cmd, 40, "$ ", "    ");
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines.iter().any(|l| l.contains("'missing; create it from your files'")), "{lines:?}");
        for l in &lines[..lines.len() - 1] {
            assert!(l.ends_with(" \\"), "{l}");
        }
        let joined: String = lines
            .iter()
            .map(|l| l.trim_end_matches(" \\").trim_start_matches("$ ").trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(joined, cmd);
        assert_eq!(command_lines("short", 40, "$ ", "  "), vec!["$ short".to_owned()]);
    }

    #[test]
    fn prose_wraps_with_a_hanging_indent() {
        let p = wrap("one two three four five six seven eight nine ten eleven twelve", 24, "- ", "  ");
        assert!(p.lines().all(|l| cols(l) <= 24), "{p}");
        assert!(p.starts_with("- one") && p.lines().skip(1).all(|l| l.starts_with("  ")), "{p}");
        assert_eq!(wrap_opt("a b\nc", None, "> ", "  "), "> a b\n  c");
    }

    /// Every line within `width`, unless it holds one word that cannot be broken; and the same words,
    /// in the same order, as without a width (the ` \` of broken commands aside).
    fn fits_and_keeps_the_words(wide: &str, narrow: &str, width: usize) {
        for line in narrow.lines() {
            let longest = shell_words(line).iter().map(|w| cols(w)).max().unwrap_or(0);
            // Too long only for a word that does not fit after its prefix (a URL, a quoted string).
            assert!(cols(line) <= width || cols(line) - longest <= 16, "{} columns: {line}", cols(line));
        }
        let words =
            |t: &str| t.split_whitespace().filter(|w| *w != "\\").map(str::to_owned).collect::<Vec<_>>();
        // No word lost: each as often at least (a table turned into records repeats headers).
        let count = |t: &str| {
            let mut m = std::collections::BTreeMap::<String, usize>::new();
            for w in words(t) {
                *m.entry(w).or_default() += 1;
            }
            m
        };
        // Header rows aside: records name every column but the first.
        let values: Vec<&str> =
            wide.lines().filter(|l| !(l.starts_with(' ') && l.to_uppercase() == *l)).collect();
        let (w, n) = (count(&values.join("\n")), count(narrow));
        for (word, k) in &w {
            assert!(n.get(word).copied().unwrap_or(0) >= *k, "`{word}` lost at {width} columns");
        }
    }

    #[test]
    fn the_summary_and_the_report_fit_80_and_50_columns() {
        use crate::render::{ReportFormat, render_report_width, summary_width};
        for config in [
            include_str!("../../../examples/runai-gateway.yaml"),
            "clusterDomain: runai.example.com\nroutingMode: path\n",
        ] {
            let input = crate::SpecInput::from_yaml(config).expect("parses");
            let plan = crate::compute(&input).expect("valid");
            let wide = summary_width(&plan, false, None);
            assert_eq!(wide, crate::render::summary(&plan, false));
            assert!(wide.lines().any(|l| cols(l) > 200), "the example has long lines to fit");
            for width in [80, 50] {
                fits_and_keeps_the_words(&wide, &summary_width(&plan, false, Some(width)), width);
            }
        }
        let snapshot = crate::ingest::snapshot_from_text(
            include_str!("../../../examples/snapshot.yaml"),
            &["runai-cluster", "runai-backend"],
        )
        .expect("reads");
        let input = crate::SpecInput::default();
        let spec = crate::checks::discover(&input, &snapshot).resolve().expect("resolves");
        let report = crate::checks::diagnose(&spec, &snapshot, 1_790_000_000);
        let wide = render_report_width(&report, ReportFormat::Table, false, None);
        for width in [80, 50] {
            let narrow = render_report_width(&report, ReportFormat::Table, false, Some(width));
            fits_and_keeps_the_words(&wide, &narrow, width);
        }
    }
}
