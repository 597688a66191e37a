//! Load errors, positioned by file, line and column.

use std::fmt;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.message)
    }
}

/// Collects errors for one file, positioned by byte offset.
pub(super) struct Errors<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub list: Vec<LoadError>,
}

impl<'a> Errors<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Self { file, text, list: Vec::new() }
    }

    fn table_region(&self, span: Range<usize>) -> Range<usize> {
        let start = span.start.min(self.text.len());
        let rest = &self.text[start..];
        let body = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let end = rest[body..].find("\n[").map_or(self.text.len(), |i| start + body + i + 1);
        start..end.max(span.end.min(self.text.len()))
    }

    /// The line of a byte offset (1-based).
    pub fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())].matches('\n').count() + 1
    }

    pub fn at(&mut self, offset: usize, message: impl Into<String>) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.list.push(LoadError { file: self.file.to_string(), line, col, message: message.into() });
    }

    /// Points at `needle` inside `within` when it is there, else at the start of `within`.
    /// A `[table]` header's span covers only the header: the region then runs
    /// on to the next header.
    pub fn near(&mut self, within: Range<usize>, needle: &str, message: impl Into<String>) {
        let within = self.table_region(within);
        let slice = &self.text[within.clone()];
        let offset = slice.find(needle).map_or(within.start, |i| within.start + i);
        self.at(offset, message);
    }
}
