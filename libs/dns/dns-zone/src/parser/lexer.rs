//! Tokens of the master-file format (RFC 1035 §5.1).
//!
//! The lexer works on the bytes of the whole file and hands out slices of it:
//! no allocation per token. Escapes stay in the slices; the consumers decode
//! them (names, character strings) because the rules differ per field.
//!
//! Parentheses join physical lines into one logical line; `;` starts a
//! comment; a logical line ends with [`TokenKind::Eol`]. Whether a line
//! starts with blanks (the owner is inherited) is recorded on its first token.

use super::error::{ParseError, ParseErrorKind};

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind<'a> {
    /// A run of characters without blanks or specials; escapes not decoded.
    Word(&'a [u8]),
    /// The inside of a `"…"` string; escapes not decoded.
    Quoted(&'a [u8]),
    /// The end of a logical line.
    Eol,
    /// The end of the input.
    Eof,
}

/// A token and where it starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    pub kind: TokenKind<'a>,
    /// 1-based line of the first character.
    pub line: u32,
    /// 1-based column (in bytes) of the first character.
    pub col: u32,
    /// First token of a logical line.
    pub first: bool,
    /// First token of a logical line whose physical line starts with a blank.
    pub indented: bool,
    /// No blank, comment or parenthesis between the previous token and this one.
    pub adjacent: bool,
}

impl Token<'_> {
    /// The raw text of a word or quoted string (empty otherwise).
    pub fn text(&self) -> &[u8] {
        match self.kind {
            TokenKind::Word(t) | TokenKind::Quoted(t) => t,
            TokenKind::Eol | TokenKind::Eof => b"",
        }
    }

    /// Whether this token ends the current logical line.
    pub fn is_end(&self) -> bool {
        matches!(self.kind, TokenKind::Eol | TokenKind::Eof)
    }
}

/// Streaming tokenizer over a borrowed input.
pub(crate) struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
    line_start: usize,
    depth: u32,
    open_paren: (u32, u32),
    at_line_start: bool,
    peeked: Option<Token<'a>>,
    /// An unbalanced parenthesis met while skipping a bad line: reported
    /// after the error that caused the skip.
    pending: Option<ParseError>,
}

/// Where a lexer stands in its input, kept while another input is read
/// (the parser reads an `$INCLUDE`d file, then comes back).
#[derive(Debug, Clone, Default)]
pub(crate) struct LexState {
    pos: usize,
    line: u32,
    line_start: usize,
    depth: u32,
    open_paren: (u32, u32),
    at_line_start: bool,
    pending: Option<ParseError>,
}

impl LexState {
    /// The state at the start of an input.
    pub fn start() -> Self {
        Self {
            line: 1,
            at_line_start: true,
            ..Self::default()
        }
    }

    /// The unbalanced-parenthesis error met by the last skip, if any.
    pub fn take_pending(&mut self) -> Option<ParseError> {
        self.pending.take()
    }
}

impl<'a> Lexer<'a> {
    /// Goes on lexing `src` from `state` (taken from a lexer of the same
    /// `src` by [`Lexer::suspend`]).
    pub fn resume(src: &'a [u8], state: LexState) -> Self {
        Self {
            src,
            pos: state.pos,
            line: state.line,
            line_start: state.line_start,
            depth: state.depth,
            open_paren: state.open_paren,
            at_line_start: state.at_line_start,
            peeked: None,
            pending: state.pending,
        }
    }

    /// Where this lexer stands, between two logical lines (nothing peeked).
    pub fn suspend(self) -> LexState {
        debug_assert!(self.peeked.is_none(), "suspended between lines");
        LexState {
            pos: self.pos,
            line: self.line,
            line_start: self.line_start,
            depth: self.depth,
            open_paren: self.open_paren,
            at_line_start: self.at_line_start,
            pending: self.pending,
        }
    }

    pub fn new(src: &'a [u8]) -> Self {
        Self {
            src,
            pos: 0,
            line: 1,
            line_start: 0,
            depth: 0,
            open_paren: (0, 0),
            at_line_start: true,
            peeked: None,
            pending: None,
        }
    }

    fn col(&self, pos: usize) -> u32 {
        (pos - self.line_start + 1) as u32
    }

    /// The current position (line, column).
    pub fn position(&self) -> (u32, u32) {
        (self.line, self.col(self.pos))
    }

    /// Looks at the next token without consuming it.
    pub fn peek(&mut self) -> Result<Token<'a>, ParseError> {
        if let Some(t) = self.peeked {
            return Ok(t);
        }
        let t = self.lex()?;
        self.peeked = Some(t);
        Ok(t)
    }

    /// Consumes the next token.
    pub fn next_token(&mut self) -> Result<Token<'a>, ParseError> {
        if let Some(t) = self.peeked.take() {
            return Ok(t);
        }
        self.lex()
    }

    /// The unbalanced-parenthesis error met by the last [`Lexer::skip_line`].
    pub fn take_pending(&mut self) -> Option<ParseError> {
        self.pending.take()
    }

    /// After an error: drop everything up to and including the end of the
    /// current logical line (parentheses are reset).
    pub fn skip_line(&mut self) {
        self.peeked = None;
        if self.at_line_start {
            // The end of the line was the last token read.
            return;
        }
        loop {
            match self.lex() {
                Ok(Token {
                    kind: TokenKind::Eol | TokenKind::Eof,
                    ..
                }) => return,
                Ok(_) => {}
                Err(e) => {
                    if e.kind == ParseErrorKind::UnbalancedParenthesis {
                        self.pending = Some(e);
                    }
                    // A broken construct: resynchronise at the next newline.
                    self.depth = 0;
                    while let Some(&c) = self.src.get(self.pos) {
                        self.pos += 1;
                        if c == b'\n' {
                            self.line += 1;
                            self.line_start = self.pos;
                            break;
                        }
                    }
                    self.at_line_start = true;
                    return;
                }
            }
        }
    }

    fn lex(&mut self) -> Result<Token<'a>, ParseError> {
        let mut adjacent = !self.at_line_start;
        loop {
            let Some(&c) = self.src.get(self.pos) else {
                if self.depth > 0 {
                    return Err(ParseError::new(
                        self.open_paren.0,
                        self.open_paren.1,
                        ParseErrorKind::UnbalancedParenthesis,
                    ));
                }
                let (line, col) = self.position();
                let kind = if self.at_line_start {
                    TokenKind::Eof
                } else {
                    self.at_line_start = true;
                    TokenKind::Eol
                };
                return Ok(self.token(kind, line, col, false));
            };
            match c {
                b' ' | b'\t' | b'\r' => {
                    self.pos += 1;
                    adjacent = false;
                }
                b'\n' => {
                    let (line, col) = self.position();
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                    adjacent = false;
                    if self.depth == 0 && !self.at_line_start {
                        self.at_line_start = true;
                        return Ok(self.token(TokenKind::Eol, line, col, false));
                    }
                }
                b';' => {
                    while self.pos < self.src.len() && self.src[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                    adjacent = false;
                }
                b'(' => {
                    if self.depth == 0 {
                        self.open_paren = self.position();
                    }
                    self.depth += 1;
                    self.pos += 1;
                    adjacent = false;
                }
                b')' => {
                    if self.depth == 0 {
                        let (line, col) = self.position();
                        return Err(ParseError::new(
                            line,
                            col,
                            ParseErrorKind::UnbalancedParenthesis,
                        ));
                    }
                    self.depth -= 1;
                    self.pos += 1;
                    adjacent = false;
                }
                b'"' => {
                    let (line, col) = self.position();
                    let start = self.pos + 1;
                    let mut p = start;
                    loop {
                        match self.src.get(p) {
                            None => break,
                            // An escaped newline is still a newline: let the
                            // arm below count the line.
                            Some(b'\\') if self.src.get(p + 1) == Some(&b'\n') => p += 1,
                            Some(b'\\') => p += 2,
                            Some(b'"') => break,
                            Some(b'\n') if self.depth == 0 => {
                                // A string continues on the next line only
                                // inside parentheses (as in BIND and Knot);
                                // otherwise a stray quote would swallow the
                                // following records. Resume at the newline.
                                self.pos = p;
                                return Err(ParseError::new(
                                    line,
                                    col,
                                    ParseErrorKind::UnterminatedString,
                                ));
                            }
                            Some(b'\n') => {
                                self.line += 1;
                                self.line_start = p + 1;
                                p += 1;
                            }
                            Some(_) => p += 1,
                        }
                    }
                    if p >= self.src.len() {
                        // The string runs to the end of the input (inside
                        // parentheses): consume it all, so that the lexer's
                        // position stays on the line it counted up to.
                        self.pos = self.src.len();
                        return Err(ParseError::new(
                            line,
                            col,
                            ParseErrorKind::UnterminatedString,
                        ));
                    }
                    self.pos = p + 1;
                    return Ok(self.token(
                        TokenKind::Quoted(&self.src[start..p]),
                        line,
                        col,
                        adjacent,
                    ));
                }
                _ => {
                    let (line, col) = self.position();
                    let start = self.pos;
                    let mut p = start;
                    while let Some(&b) = self.src.get(p) {
                        match b {
                            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' | b'"' => break,
                            // An escape takes the next byte whatever it is;
                            // `\DDD` digits are ordinary word characters.
                            b'\\' => p = (p + 2).min(self.src.len()),
                            _ => p += 1,
                        }
                    }
                    self.pos = p;
                    return Ok(self.token(
                        TokenKind::Word(&self.src[start..p]),
                        line,
                        col,
                        adjacent,
                    ));
                }
            }
        }
    }

    fn token(&mut self, kind: TokenKind<'a>, line: u32, col: u32, adjacent: bool) -> Token<'a> {
        let first = self.at_line_start && !matches!(kind, TokenKind::Eol | TokenKind::Eof);
        let indented = first && matches!(self.src.get(self.line_start), Some(b' ' | b'\t'));
        if first {
            self.at_line_start = false;
        }
        Token {
            kind,
            line,
            col,
            first,
            indented,
            adjacent: adjacent && !first,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn kinds(src: &str) -> Vec<TokenKind<'_>> {
        let mut lx = Lexer::new(src.as_bytes());
        let mut out = Vec::new();
        loop {
            let t = lx.next_token().unwrap();
            out.push(t.kind);
            if t.kind == TokenKind::Eof {
                return out;
            }
        }
    }

    #[test]
    fn parentheses_join_lines_and_comments_vanish() {
        use TokenKind::*;
        assert_eq!(
            kinds("@ SOA ( a ; c\n b )\n\n; only\nx"),
            [
                Word(b"@"),
                Word(b"SOA"),
                Word(b"a"),
                Word(b"b"),
                Eol,
                Word(b"x"),
                Eol,
                Eof
            ]
        );
    }

    #[test]
    fn quoted_and_escapes() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"a\ b "c\"d" e\;f"#),
            [Word(br"a\ b"), Quoted(br#"c\"d"#), Word(br"e\;f"), Eol, Eof]
        );
    }

    #[test]
    fn indentation_and_positions() {
        let mut lx = Lexer::new(b"a A\n  B C\n");
        let t = lx.next_token().unwrap();
        assert!(t.first && !t.indented);
        lx.next_token().unwrap();
        lx.next_token().unwrap(); // Eol
        let t = lx.next_token().unwrap();
        assert!(t.first && t.indented);
        assert_eq!((t.line, t.col), (2, 3));
    }

    /// A string left open inside parentheses runs to the end of the input;
    /// lexing after the error must not panic (found when errors after an
    /// unterminated string stopped ending the parse).
    #[test]
    fn unterminated_quote_in_parentheses_reaches_the_end() {
        let mut lx = Lexer::new(b"x TXT ( \"abc\ndef\\\nghi\n");
        for _ in 0..2 {
            lx.next_token().unwrap();
        }
        let e = lx.next_token().unwrap_err();
        assert_eq!(
            (e.line, e.column, e.kind),
            (1, 9, ParseErrorKind::UnterminatedString)
        );
        assert_eq!(lx.position().0, 4);
        lx.skip_line();
        assert_eq!(
            lx.take_pending().map(|e| e.kind),
            Some(ParseErrorKind::UnbalancedParenthesis)
        );
    }

    /// A quote left open ends at the end of its line outside parentheses
    /// (Knot's zscanner case 12_TXT: `@ TXT """`), and lexing goes on with
    /// the next line; inside parentheses a string may span lines.
    #[test]
    fn unterminated_quote_stops_at_the_end_of_the_line() {
        use TokenKind::*;
        let mut lx = Lexer::new(b"a \"\"\"\nb \"x\"\n");
        assert_eq!(lx.next_token().unwrap().kind, Word(b"a"));
        assert_eq!(lx.next_token().unwrap().kind, Quoted(b""));
        let e = lx.next_token().unwrap_err();
        assert_eq!((e.line, e.column), (1, 5));
        assert_eq!(lx.next_token().unwrap().kind, Eol);
        let b = lx.next_token().unwrap();
        assert_eq!((b.kind, b.line), (Word(b"b"), 2));
        assert_eq!(lx.next_token().unwrap().kind, Quoted(b"x"));
        assert_eq!(
            kinds("a ( \"x\ny\" )\n"),
            [Word(b"a"), Quoted(b"x\ny"), Eol, Eof]
        );
    }

    #[test]
    fn unbalanced() {
        let mut lx = Lexer::new(b"a ( b\n");
        lx.next_token().unwrap();
        lx.next_token().unwrap();
        assert!(lx.next_token().is_err());
        let mut lx = Lexer::new(b"a ) b\n");
        lx.next_token().unwrap();
        assert!(lx.next_token().is_err());
    }
}
