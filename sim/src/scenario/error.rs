//! Errors in a scenario file: where (file, line, column), what was wrong, and what would be right.

use std::fmt;

/// A problem with a scenario file. Displayed as `path:line:column: message` plus a `help:` line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line (0 when the problem is not at one place).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What would be right, if we can say.
    pub help: Option<String>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)?;
        } else {
            write!(f, "{}: {}", self.file, self.message)?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Turns byte offsets into line and column for one file's text.
#[derive(Debug, Clone)]
pub struct Locator<'a> {
    file: &'a str,
    text: &'a str,
}

impl<'a> Locator<'a> {
    /// A locator for `text`, reported as `file`.
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Self { file, text }
    }

    /// An error at byte `offset`.
    pub fn error(&self, offset: usize, message: impl Into<String>, help: Option<String>) -> ScenarioError {
        let (line, column) = self.line_col(offset);
        ScenarioError { file: self.file.to_string(), line, column, message: message.into(), help }
    }

    /// An error about the file as a whole.
    pub fn whole(&self, message: impl Into<String>, help: Option<String>) -> ScenarioError {
        ScenarioError { file: self.file.to_string(), line: 0, column: 0, message: message.into(), help }
    }

    /// The byte offset of the line that sets `key` inside `range` (a table), if any: so an error about a key
    /// can point at its line even when the parser kept no span for it.
    pub fn key_in(&self, range: std::ops::Range<usize>, key: &str) -> Option<usize> {
        let end = range.end.min(self.text.len());
        let table = self.text.get(range.start..end)?;
        let mut pos = 0;
        for line in table.split_inclusive('\n') {
            let trimmed = line.trim_start();
            if let Some(rest) = trimmed.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    return Some(range.start + pos + (line.len() - trimmed.len()));
                }
            }
            pos += line.len();
        }
        None
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let loc = Locator::new("x.toml", "a = 1\nbb = 2\n");
        let e = loc.error(7, "bad", Some("fix".into()));
        assert_eq!((e.line, e.column), (2, 2));
        assert_eq!(e.to_string(), "x.toml:2:2: bad\n  help: fix");
    }
}
