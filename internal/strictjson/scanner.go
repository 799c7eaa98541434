package strictjson

import (
	"fmt"
	"strconv"
)

// Scanner reads a JSON text of a shape the caller knows, token by token,
// with the rules of [Unmarshal]: the same string, number and literal
// syntax, the same duplicate-name and depth checks inside every value it
// decodes, and whitespace allowed between tokens. It lets a caller read,
// for example, an SD-JWT disclosure ["salt", "name", value] into its own
// fields without building the []any around them.
//
// A Scanner is a value: declare it, or take it from [NewOwnedScanner], and
// call its methods on the variable. Every error is a *[SyntaxError].
type Scanner struct {
	d     decoder
	depth int // arrays and objects opened with Expect and not yet closed
}

// NewOwnedScanner returns a Scanner over data with the ownership rule of
// [UnmarshalOwned]: data must never be modified afterwards, because the
// strings and numbers read share its memory. maxDepth bounds nesting as in
// [Unmarshal], counting the arrays and objects opened with [Scanner.Expect].
func NewOwnedScanner(data []byte, maxDepth int) Scanner {
	return Scanner{d: decoder{data: data, maxDepth: maxDepth, owned: true}}
}

// NewBoxedScanner is [NewOwnedScanner] with the string and number values
// that [Scanner.Value] reads boxed from b (see [Boxes]).
func NewBoxedScanner(data []byte, maxDepth int, b *Boxes) Scanner {
	return Scanner{d: decoder{data: data, maxDepth: maxDepth, owned: true, boxes: b}}
}

// Peek returns the next byte after any whitespace, without consuming it;
// ok is false at the end of the input.
func (s *Scanner) Peek() (c byte, ok bool) {
	s.d.skipSpace()
	if s.d.pos >= len(s.d.data) {
		return 0, false
	}
	return s.d.data[s.d.pos], true
}

// Expect consumes the structural character c ('[', ']', '{', '}', ',' or
// ':') after any whitespace. Opening '[' or '{' counts towards the depth
// limit.
func (s *Scanner) Expect(c byte) error {
	if got, ok := s.Peek(); !ok || got != c {
		return s.d.fail(ErrSyntax, "expected "+strconv.QuoteRune(rune(c)))
	}
	switch c {
	case '[', '{':
		if s.depth >= s.d.maxDepth {
			return s.d.fail(ErrTooDeep, fmt.Sprintf("more than %d levels", s.d.maxDepth))
		}
		s.depth++
	case ']', '}':
		s.depth--
	}
	s.d.pos++
	return nil
}

// String reads a JSON string after any whitespace.
func (s *Scanner) String() (string, error) {
	if c, ok := s.Peek(); !ok || c != '"' {
		return "", s.d.fail(ErrSyntax, "expected a string")
	}
	return s.d.str()
}

// Value reads one JSON value of any kind after any whitespace, decoded as
// [Unmarshal] decodes it.
func (s *Scanner) Value() (any, error) {
	s.d.skipSpace()
	return s.d.value(s.depth)
}

// End reports an error unless only whitespace is left.
func (s *Scanner) End() error {
	if _, ok := s.Peek(); ok {
		return s.d.fail(ErrSyntax, "trailing data after the value")
	}
	return nil
}
