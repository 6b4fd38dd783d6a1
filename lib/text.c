/* text.c - the characters a name or label must not hide (text.h).
 *
 * A name with U+202E (right-to-left override) reads backwards on the staff
 * pages and in the worker's emails; a zero-width space makes two names look
 * the same and differ in the database; U+0085 and U+2028 break a line where
 * no control character is seen. */
#include "text.h"

/* The code point at *s (valid UTF-8), advancing *s past it. */
static unsigned next_code_point(const unsigned char **s)
{
	const unsigned char *p = *s;
	unsigned cp;
	int n;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	n = p[0] >= 0xf0 ? 3 : p[0] >= 0xe0 ? 2 : 1;
	cp = p[0] & (0x3f >> n);
	for (int k = 1; k <= n && p[k]; k++)
		cp = (cp << 6) | (p[k] & 0x3f);
	while (n-- > 0 && p[1])
		p++;
	*s = p + 1;
	return cp;
}

static int hidden(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200d) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

unsigned text_hidden_char(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned cp = next_code_point(&p);

		if (hidden(cp))
			return cp;
	}
	return 0;
}

int text_control_char(const char *s, int newline_ok)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && !(newline_ok && *s == '\n')) || *s == 0x7f)
			return 1;
	return 0;
}
