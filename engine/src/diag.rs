//! Source locations and the diagnostics that point at them.
//!
//! Every element, attribute and expression loaded from a flow file carries a [`Span`]:
//! a byte range inside one file of the [`SourceMap`]. Errors found while loading are
//! collected as [`Diagnostic`]s and rendered by the command line as
//! `file:line:column: error: message`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Identifies one file held by a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file the range belongs to.
    pub file: FileId,
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span covering `start..end` of `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start, end }
    }

    /// The span of `start..end` counted from the beginning of this span.
    ///
    /// Used to point inside an attribute value, such as at one token of an expression.
    pub fn sub(self, start: usize, end: usize) -> Span {
        Span { file: self.file, start: self.start + start, end: self.start + end.max(start) }
    }

    /// Whether `other` lies within this span.
    pub fn contains(self, other: Span) -> bool {
        self.file == other.file && self.start <= other.start && other.end <= self.end
    }
}

/// Where the bytes of a decoded text (an attribute value with its entities replaced) are in
/// the file, so that a place found in the text, such as a syntax error inside an expression,
/// is reported where it is written.
///
/// Between entities the text and the file run in step; each entity is one atom, and every
/// byte it decoded to maps to the `&` that starts it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OffsetMap {
    /// Each atom as (start in the text, length in the text, length in the file), in order.
    atoms: Vec<(usize, usize, usize)>,
    /// A map the offsets go through next, when this one maps a text made from another
    /// decoded text (placeholders replaced in an attribute value with entities).
    then: Option<Box<OffsetMap>>,
}

impl OffsetMap {
    /// Records that `text_len` bytes of the text, from `text_start`, were written as
    /// `file_len` bytes (such as `>` written `&gt;`). Atoms are added in text order.
    pub fn push_atom(&mut self, text_start: usize, text_len: usize, file_len: usize) {
        self.atoms.push((text_start, text_len, file_len));
    }

    /// A map of a text made from the text `inner` maps: offsets go through this map, then
    /// through `inner`.
    pub fn then(mut self, inner: OffsetMap) -> OffsetMap {
        if !inner.is_empty() {
            self.then = Some(Box::new(inner));
        }
        self
    }

    /// True when the text and the file run in step.
    pub fn is_empty(&self) -> bool {
        self.atoms.is_empty() && self.then.is_none()
    }

    /// The offset in the file, counted from where the text starts there, of `offset` in the
    /// text.
    pub fn to_file(&self, offset: usize) -> usize {
        let mut shift: isize = 0;
        let mut mapped = None;
        for &(start, text_len, file_len) in &self.atoms {
            if offset < start {
                break;
            }
            if offset < start + text_len {
                mapped = Some(start.saturating_add_signed(shift));
                break;
            }
            // Placeholders may read longer than they are written.
            shift += file_len as isize - text_len as isize;
        }
        let mapped = mapped.unwrap_or_else(|| offset.saturating_add_signed(shift));
        self.then.as_ref().map_or(mapped, |inner| inner.to_file(mapped))
    }

    /// `span`, found in a text that starts at `base` in its file and counted as if it were
    /// written there byte for byte, moved to where it is in the file. Spans of other files,
    /// or before `base`, are left alone.
    pub fn relocate(&self, base: Span, span: Span) -> Span {
        if self.is_empty() || span.file != base.file || span.start < base.start {
            return span;
        }
        let start = base.start + self.to_file(span.start - base.start);
        let end = base.start + self.to_file(span.end.max(span.start) - base.start);
        Span { file: span.file, start, end: end.max(start) }
    }
}

/// One loaded source file: its path and full text.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as given by the user (or a name such as `<inline>` for text given directly).
    pub path: PathBuf,
    /// The file's text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn new(path: PathBuf, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(idx, _)| idx + 1));
        SourceFile { path, text, line_starts }
    }

    /// The 1-based line and column (counted in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line_idx = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let line_start = self.line_starts[line_idx];
        let column = self.text.get(line_start..offset).map_or(1, |s| s.chars().count() + 1);
        (line_idx + 1, column)
    }

    /// The folder the file lives in, used to find files it refers to.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }
}

/// All source files of one app, addressed by [`FileId`].
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    /// Adds a file and returns its id.
    pub fn add(&mut self, path: PathBuf, text: String) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 4 billion files"));
        self.files.push(Arc::new(SourceFile::new(path, text)));
        id
    }

    /// The file with the given id.
    ///
    /// # Panics
    ///
    /// Panics if the id was not issued by this map.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Renders a span as `path:line:column`.
    pub fn location(&self, span: Span) -> Location {
        let file = self.file(span.file);
        let (line, column) = file.line_col(span.start);
        Location { path: file.path.clone(), line, column }
    }
}

/// A resolved `path:line:column` position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// Path of the file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Loading fails.
    Error,
    /// Loading goes on; the user should still look.
    Warning,
}

/// A problem found while loading an app, with the place it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// Where it is wrong, when a place is known.
    pub span: Option<Span>,
    /// Extra lines: what was expected, how to fix it.
    pub notes: Vec<String>,
    /// Notes about other places, such as the first definition of something defined twice;
    /// each is rendered after the plain notes as `  = path:line:column: note`.
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    /// An error at a place.
    pub fn error(span: impl Into<Option<Span>>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: span.into(),
            notes: Vec::new(),
            related: Vec::new(),
        }
    }

    /// A warning at a place.
    pub fn warning(span: impl Into<Option<Span>>, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(span, message) }
    }

    /// Adds a note line.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Moves the spans of a diagnostic found in a decoded text, as [`OffsetMap::relocate`]
    /// does, to where they are written in the file.
    pub fn relocated(mut self, map: &OffsetMap, base: Span) -> Diagnostic {
        self.span = self.span.map(|span| map.relocate(base, span));
        for (span, _) in &mut self.related {
            *span = map.relocate(base, *span);
        }
        self
    }

    /// Adds a note about another place.
    pub fn with_related(mut self, span: Span, note: impl Into<String>) -> Diagnostic {
        self.related.push((span, note.into()));
        self
    }

    /// Renders the diagnostic as the command line prints it:
    /// `path:line:column: error: message`, then one `  = note` line per note.
    pub fn render(&self, sources: &SourceMap) -> String {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = match self.span {
            Some(span) => format!("{}: {kind}: {}", sources.location(span), self.message),
            None => format!("{kind}: {}", self.message),
        };
        for note in &self.notes {
            out.push_str("\n  = ");
            out.push_str(note);
        }
        for (span, note) in &self.related {
            out.push_str(&format!("\n  = {}: {note}", sources.location(*span)));
        }
        out
    }
}

/// The diagnostics of one load, errors and warnings together.
#[derive(Debug, Default)]
pub struct Diagnostics {
    /// Everything reported, in the order found.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records a diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// True when at least one error (not only warnings) was recorded.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// Number of errors recorded.
    pub fn n_errors(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Error).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let mut map = SourceMap::default();
        let id = map.add("a.xml".into(), "ab\nçd\nx".into());
        let loc = map.location(Span::new(id, 6, 7));
        assert_eq!((loc.line, loc.column), (2, 3));
        assert_eq!(map.location(Span::new(id, 0, 1)).to_string(), "a.xml:1:1");
        assert_eq!(map.location(Span::new(id, 7, 8)).to_string(), "a.xml:3:1");
    }

    #[test]
    fn offsets_in_decoded_text_map_to_the_file() {
        // `a &gt;= 1 &amp;&amp; b` decodes to `a >= 1 && b`.
        let mut map = OffsetMap::default();
        map.push_atom(2, 1, 4);
        map.push_atom(7, 1, 5);
        map.push_atom(8, 1, 5);
        let file = "a &gt;= 1 &amp;&amp; b";
        let text = "a >= 1 && b";
        for (at, expected) in
            [(0, "a"), (2, "&gt;"), (3, "= 1"), (7, "&amp;&amp;"), (8, "&amp; b"), (10, "b")]
        {
            assert_eq!(&file[map.to_file(at)..][..expected.len()], expected, "{}", &text[at..]);
        }
        let base = Span::new(FileId(1), 100, 122);
        assert_eq!(
            map.relocate(base, Span::new(FileId(1), 110, 111)),
            Span::new(FileId(1), 121, 122)
        );
        assert_eq!(
            map.relocate(base, Span::new(FileId(2), 110, 111)),
            Span::new(FileId(2), 110, 111)
        );
    }

    #[test]
    fn maps_compose_through_placeholders_and_entities() {
        // `${p} &gt; x` (file) reads `${p} > x`, which with p=`payload.long` reads
        // `payload.long > x`.
        let mut entities = OffsetMap::default();
        entities.push_atom(5, 1, 4);
        let mut placeholders = OffsetMap::default();
        placeholders.push_atom(0, 12, 4);
        let map = placeholders.then(entities);
        let file = "${p} &gt; x";
        assert_eq!(map.to_file(3), 0, "inside the placeholder");
        assert_eq!(&file[map.to_file(13)..], "&gt; x");
        assert_eq!(&file[map.to_file(15)..], "x");
    }

    #[test]
    fn related_notes_render_with_their_place() {
        let mut map = SourceMap::default();
        let id = map.add("a.xml".into(), "ab\ncd".into());
        let diagnostic = Diagnostic::error(Span::new(id, 3, 4), "defined twice")
            .with_note("rename one")
            .with_related(Span::new(id, 1, 2), "first defined here");
        assert_eq!(
            diagnostic.render(&map),
            "a.xml:2:1: error: defined twice\n  = rename one\n  = a.xml:1:2: first defined here"
        );
    }
}
