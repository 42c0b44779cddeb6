//! Text measured as DataWeave measures it: in UTF-16 code units, as Java strings are.
//!
//! `sizeOf`, string indexes and ranges (`s[1]`, `s[0 to 2]`), `indexOf`, `find`,
//! `splitBy ""`, the functions that walk a string character by character (`filter`,
//! `reduce`, `groupBy`, `everyCharacter`, ...) and the `dw::core::Strings` functions that
//! count (`substring`, `leftPad`, `charCodeAt`, ...) all count code units, so a character
//! outside the Basic Multilingual Plane (`😀`) counts as two. A Rust string cannot hold half
//! of such a pair, so a part that splits one holds `?` for each lone half: that is what the
//! reference engine writes for it, as Java's UTF-8 encoder does.

/// The number of UTF-16 code units of `text`.
pub(crate) fn len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The UTF-16 code units of `text`.
pub(crate) fn units(text: &str) -> Vec<u16> {
    text.encode_utf16().collect()
}

/// The text of `units`, a lone surrogate written as `?`.
pub(crate) fn to_text(units: &[u16]) -> String {
    char::decode_utf16(units.iter().copied()).map(|c| c.unwrap_or('?')).collect()
}

/// Each code unit of `text` as a text of its own.
pub(crate) fn unit_texts(text: &str) -> Vec<String> {
    text.encode_utf16().map(|unit| to_text(&[unit])).collect()
}

/// The index in code units of the character at byte offset `byte_idx` of `text`.
pub(crate) fn index_at(text: &str, byte_idx: usize) -> usize {
    len(&text[..byte_idx])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_outside_the_basic_plane_count_twice() {
        assert_eq!(len("a😀b"), 4);
        assert_eq!(index_at("a😀b", "a😀".len()), 3);
        assert_eq!(unit_texts("a😀"), ["a", "?", "?"]);
        let units = units("a😀b");
        assert_eq!(to_text(&units[1..3]), "😀");
        assert_eq!(to_text(&units[0..2]), "a?");
    }
}
