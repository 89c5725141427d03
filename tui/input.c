#include "input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "keys.h"
#include "text.h"
#include "theme.h"
#include "util.h"

static struct input_hooks hooks;
static WINDOW *win;
static char prompt[INPUT_PROMPT_MAX];
static bool enabled = true;
static bool ready;
static FILE *devnull;

/* Bytes waiting for readline's getc hook. */
static unsigned char queue[64];
static size_t q_head, q_len;

/* Text set while readline runs our line handler, applied after it returns. */
static bool in_read, in_handler, pending_set;
static char pending_text[1024];
static char last_text[1024];

/* Word breaks: only '*' so "3*Мол" completes "Мол" and names keep spaces. */
static char word_breaks[] = "*";

static int on_rl_getc(FILE *f)
{
	(void)f;
	if (q_len == 0)
		return 0; /* never EOF: readline would end the line */
	unsigned char c = queue[q_head];
	q_head = (q_head + 1) % sizeof queue;
	q_len--;
	return c;
}

static int on_rl_input_available(void)
{
	return q_len > 0;
}

static void on_rl_redisplay(void)
{
	input_draw();
}

static void on_rl_line(char *line)
{
	in_handler = true;
	if (line && hooks.on_line)
		hooks.on_line(hooks.cls, line);
	free(line);
	in_handler = false;
}

static char *on_rl_generate(const char *text, int state)
{
	static size_t index;
	if (state == 0)
		index = 0;
	if (!hooks.complete)
		return NULL;
	const char *m = hooks.complete(hooks.cls, text, index++);
	return m ? xstrdup(m) : NULL;
}

static char **on_rl_complete(const char *text, int start, int end)
{
	(void)start;
	(void)end;
	rl_attempted_completion_over = 1;      /* never fall back to file names */
	rl_completion_append_character = '\0'; /* reset to ' ' before every attempt */
	return rl_completion_matches(text, on_rl_generate);
}

static void on_rl_display_matches(char **matches, int n, int max_len)
{
	(void)max_len;
	if (hooks.on_matches)
		hooks.on_matches(hooks.cls, (const char *const *)matches + 1, (size_t)n);
}

void input_init(const struct input_hooks *h)
{
	hooks = *h;
	if (ready)
		return;
	ready = true;
	devnull = fopen("/dev/null", "w");
	rl_readline_name = "kassa";
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_prep_term_function = NULL;
	rl_deprep_term_function = NULL;
	rl_getc_function = on_rl_getc;
	rl_input_available_hook = on_rl_input_available;
	rl_redisplay_function = on_rl_redisplay;
	rl_instream = stdin;
	rl_outstream = devnull ? devnull : stderr;
	rl_attempted_completion_function = on_rl_complete;
	rl_completion_display_matches_hook = on_rl_display_matches;
	rl_completion_append_character = '\0';
	rl_completion_query_items = 0;
	using_history();
	stifle_history(200);
	/* Installing runs rl_initialize(), which reads inputrc: settings after it win. */
	rl_callback_handler_install("", on_rl_line);
	rl_variable_bind("bell-style", "none");
	rl_variable_bind("completion-ignore-case", "on");
	rl_variable_bind("show-all-if-ambiguous", "on");
	rl_variable_bind("enable-bracketed-paste", "off");
	rl_completer_word_break_characters = word_breaks;
	/* The sequences we feed for keys curses decoded (see input_feed). */
	rl_bind_keyseq("\033[3~", rl_delete);
	rl_bind_keyseq("\033[H", rl_beg_of_line);
	rl_bind_keyseq("\033[F", rl_end_of_line);
	/* Incremental search draws its own prompt, which we cannot show. */
	rl_unbind_key('R' & 0x1f);
	rl_unbind_key('S' & 0x1f);
}

void input_free(void)
{
	if (!ready)
		return;
	rl_callback_handler_remove();
	clear_history();
	if (devnull)
		fclose(devnull);
	devnull = NULL;
	ready = false;
}

void input_set_window(WINDOW *w)
{
	win = w;
}

static void apply_text(const char *text)
{
	rl_replace_line(text, 0);
	rl_point = rl_end;
	str_copy(last_text, rl_line_buffer, sizeof last_text);
}

void input_set(const char *p, const char *text)
{
	str_copy(prompt, p ? p : "", sizeof prompt);
	if (!ready)
		return;
	if (in_read) {
		pending_set = true;
		str_copy(pending_text, text ? text : "", sizeof pending_text);
		return;
	}
	apply_text(text ? text : "");
}

void input_enable(bool on)
{
	enabled = on;
}

bool input_enabled(void)
{
	return enabled;
}

const char *input_text(void)
{
	return ready && rl_line_buffer ? rl_line_buffer : "";
}

size_t input_point(void)
{
	return ready && rl_line_buffer && rl_point > 0 ? (size_t)rl_point : 0;
}

void input_restore(const char *text, size_t point)
{
	if (!ready || in_read)
		return;
	rl_replace_line(text, 0);
	rl_point = point < (size_t)rl_end ? (int)point : rl_end;
	if (strcmp(last_text, rl_line_buffer) != 0) {
		str_copy(last_text, rl_line_buffer, sizeof last_text);
		if (hooks.on_change)
			hooks.on_change(hooks.cls, rl_line_buffer);
	}
	input_draw();
}

void input_history_add(const char *line)
{
	if (!line || !*line)
		return;
	HIST_ENTRY *last =
	    history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
	if (!last || strcmp(last->line, line) != 0)
		add_history(line);
}

static void push(const char *bytes, size_t n)
{
	for (size_t i = 0; i < n && q_len < sizeof queue; i++) {
		queue[(q_head + q_len) % sizeof queue] = (unsigned char)bytes[i];
		q_len++;
	}
}

bool input_feed(int key)
{
	if (!ready || !enabled)
		return false;
	char buf[16];
	size_t n = 0;
	int base = key & ~KEYS_ALT;
	if (key & KEYS_ALT)
		buf[n++] = 27;
	if (base >= KEYS_SPECIAL) {
		const char *seq = NULL;
		switch (base - KEYS_SPECIAL) {
		case KEY_LEFT:
			seq = "\x02";
			break;
		case KEY_RIGHT:
			seq = "\x06";
			break;
		case KEY_HOME:
			seq = "\x01";
			break;
		case KEY_END:
			seq = "\x05";
			break;
		case KEY_BACKSPACE:
			seq = "\x7f";
			break;
		case KEY_DC:
			seq = "\033[3~";
			break;
		default:
			return false;
		}
		size_t len = strlen(seq);
		memcpy(buf + n, seq, len);
		n += len;
	} else if (base == '\n' || base == '\t' || (base > 0 && base < 0x20)) {
		buf[n++] = (char)base;
	} else if (base >= 0x20 && base != 0x7f) {
		n += utf8_encode((uint32_t)base, buf + n);
	} else {
		return false;
	}
	push(buf, n);
	in_read = true;
	while (q_len > 0)
		rl_callback_read_char();
	in_read = false;
	if (pending_set) {
		pending_set = false;
		apply_text(pending_text);
	}
	if (strcmp(last_text, rl_line_buffer) != 0) {
		str_copy(last_text, rl_line_buffer, sizeof last_text);
		if (hooks.on_change)
			hooks.on_change(hooks.cls, rl_line_buffer);
	}
	input_draw();
	return true;
}

void input_draw(void)
{
	if (!win)
		return;
	int cols = getmaxx(win);
	werase(win);
	wbkgdset(win, ' ' | (chtype)theme_attr(UI_INPUT_TEXT));
	int pw = text_width(prompt);
	/*
	 * A question takes the whole line; an editable line keeps at least 24
	 * columns (or half a narrow line) for the text, which scrolls.
	 */
	int max = !enabled ? cols - 1 : cols - 24 > cols / 2 ? cols - 24 : cols / 2;
	if (pw > max)
		pw = max;
	char fitted[512];
	text_fit(prompt, pw, TEXT_LEFT, fitted, sizeof fitted);
	wattrset(win, (int)theme_attr(UI_INPUT_PROMPT));
	mvwaddstr(win, 0, 0, fitted);
	wattrset(win, (int)theme_attr(UI_INPUT_TEXT));
	int x0 = pw + 1;
	int room = cols - x0 - 1;
	if (!enabled || room <= 0 || !ready) {
		wmove(win, 0, x0 < cols ? x0 : cols - 1);
		return;
	}
	const char *t = rl_line_buffer ? rl_line_buffer : "";
	int cursor = text_width_n(t, (size_t)rl_point);
	/* Scroll so the cursor stays visible, a quarter of the room at a time. */
	int scroll = 0;
	if (cursor >= room)
		scroll = cursor - room + room / 4 + 1;
	size_t i = 0;
	int col = 0;
	while (t[i] && col < scroll) {
		uint32_t cp;
		size_t k = utf8_decode(t + i, SIZE_MAX, &cp);
		col += k ? text_cp_width(cp) : 1;
		i += k ? k : 1;
	}
	size_t start = i;
	int used = 0;
	while (t[i]) {
		uint32_t cp;
		size_t k = utf8_decode(t + i, SIZE_MAX, &cp);
		int w = k ? text_cp_width(cp) : 1;
		if (used + w > room)
			break;
		used += w;
		i += k ? k : 1;
	}
	mvwaddnstr(win, 0, x0, t + start, (int)(i - start));
	wmove(win, 0, x0 + cursor - col);
}
