/* text.h - what text shown to staff and customers may contain, beyond
 * valid UTF-8: the one check for names, emails and product labels. */
#ifndef BAKERY_TEXT_H
#define BAKERY_TEXT_H

/* The first code point in the UTF-8 string s (known to be valid) that can
 * change what a reader sees without being seen itself: C1 controls
 * (U+0080-U+009F), zero-width characters (U+200B-U+200D, U+FEFF), line and
 * paragraph separators (U+2028, U+2029), bidirectional embeddings,
 * overrides and isolates (U+202A-U+202E, U+2066-U+2069). 0 when none. */
unsigned text_hidden_char(const char *s);

/* Whether s holds a C0 control character or DEL (a newline is allowed
 * when newline_ok, for multi-line text). 1 or 0. */
int text_control_char(const char *s, int newline_ok);

#endif
