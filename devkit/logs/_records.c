/* Optional accelerator for devkit.logs: the per-record primitives of a full read.
 *
 * A full read (merge, requests, a dense trace) turns every line into a record and every event
 * into output. Small steps of that cost more in Python than the regex or JSON decoding
 * beside them: flattening a nested JSON object (an ECS line holds ten dicts), a JSON line's record
 * with its ISO 8601 time (``json_record``) and writing an event's time as ISO 8601 text. Each function here does exactly what its Python definition
 * does (formats/engine.py ``_flatten_py``, timestamps.py ``_format_utc_py``); the tests hold them
 * to those definitions. Without a compiler devkit uses the Python ones.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* -- flatten -------------------------------------------------------------------------------- */

static PyObject *DOT = NULL; /* "." */

/* {"a": {"b": 1}} -> {"a.b": 1}: nested non-empty dicts (exactly dict) become dotted keys. At
 * the top level a key is kept as the object it is; below it, it is formatted as f"{key}". */
static int
flatten_into(PyObject *obj, PyObject *prefix, PyObject *out)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    if (Py_EnterRecursiveCall(" while flattening a JSON object"))
        return -1;
    while (PyDict_Next(obj, &pos, &key, &value)) {
        PyObject *name;
        int nested = PyDict_CheckExact(value) && PyDict_GET_SIZE(value) > 0;
        if (prefix == NULL && !nested) {
            name = key;
            Py_INCREF(name);
        } else {
            PyObject *text = PyObject_Format(key, NULL);
            if (text == NULL)
                goto error;
            if (prefix == NULL) {
                name = text;
            } else {
                name = PyUnicode_Concat(prefix, text);
                Py_DECREF(text);
                if (name == NULL)
                    goto error;
            }
        }
        /* the value may be released by a key's __format__ or __eq__: hold it while it is used */
        Py_INCREF(value);
        int rc;
        if (nested) {
            PyObject *dot = PyUnicode_Concat(name, DOT);
            rc = dot == NULL ? -1 : flatten_into(value, dot, out);
            Py_XDECREF(dot);
        } else {
            rc = PyDict_SetItem(out, name, value);
        }
        Py_DECREF(value);
        Py_DECREF(name);
        if (rc < 0)
            goto error;
    }
    Py_LeaveRecursiveCall();
    return 0;
error:
    Py_LeaveRecursiveCall();
    return -1;
}

static PyObject *
flatten(PyObject *Py_UNUSED(self), PyObject *obj)
{
    if (!PyDict_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "flatten() takes a dict");
        return NULL;
    }
    if (DOT == NULL && (DOT = PyUnicode_InternFromString(".")) == NULL)
        return NULL;
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    if (flatten_into(obj, NULL, out) < 0) {
        Py_DECREF(out);
        return NULL;
    }
    return out;
}

/* -- format_utc ----------------------------------------------------------------------------- */

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days). */
static void
civil_from_days(int64_t z, int *year, unsigned *month, unsigned *day)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t y = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(y + (*month <= 2));
}

static PyObject *slow_format_utc = NULL; /* timestamps._format_utc_py, for what is out of range */

static void
digits(char *at, unsigned value, int width)
{
    for (int i = width - 1; i >= 0; i--, value /= 10)
        at[i] = (char)('0' + value % 10);
}

/* The text of an in-range time (0 <= ts < 253402300799) into `text`: 29 characters. A log
 * repeats its seconds: the date and time of the last second written are kept. */
static int
utc_text(double ts, char *text)
{
    static int64_t last_sec = -1;
    static char last[20]; /* "YYYY-MM-DDTHH:MM:SS" */
    double whole;
    double frac = modf(ts, &whole);
    double us = nearbyint(frac * 1e6); /* the default rounding mode: half to even, like round() */
    if (us >= 1000000.0) {
        us -= 1000000.0;
        whole += 1.0;
    }
    int64_t sec = (int64_t)whole;
    if (sec != last_sec) {
        int64_t days = sec / 86400, rest = sec % 86400;
        int year;
        unsigned month, day;
        civil_from_days(days, &year, &month, &day);
        digits(last, (unsigned)year, 4);
        last[4] = '-';
        digits(last + 5, month, 2);
        last[7] = '-';
        digits(last + 8, day, 2);
        last[10] = 'T';
        digits(last + 11, (unsigned)(rest / 3600), 2);
        last[13] = ':';
        digits(last + 14, (unsigned)(rest / 60 % 60), 2);
        last[16] = ':';
        digits(last + 17, (unsigned)(rest % 60), 2);
        last_sec = sec;
    }
    memcpy(text, last, 19);
    text[19] = '.';
    digits(text + 20, (unsigned)us / 1000, 3);
    memcpy(text + 23, "+00:00", 6);
    return 29;
}

static int
in_range(double ts)
{
    return 0.0 <= ts && ts < 253402300799.0; /* NaN is not */
}

/* "2026-11-20T09:14:03.120+00:00": microseconds rounded half to even, as datetime does with a
 * float, then cut to milliseconds, as isoformat(timespec="milliseconds") does. */
static PyObject *
format_utc(PyObject *Py_UNUSED(self), PyObject *arg)
{
    if (arg == Py_None)
        Py_RETURN_NONE;
    double ts = PyFloat_AsDouble(arg);
    if (ts == -1.0 && PyErr_Occurred())
        return NULL;
    if (!in_range(ts)) { /* before 1970, near year 9999, NaN: datetime says it */
        if (slow_format_utc == NULL) {
            PyObject *mod = PyImport_ImportModule("devkit.logs.timestamps");
            if (mod == NULL)
                return NULL;
            slow_format_utc = PyObject_GetAttrString(mod, "_format_utc_py");
            Py_DECREF(mod);
            if (slow_format_utc == NULL)
                return NULL;
        }
        return PyObject_CallOneArg(slow_format_utc, arg);
    }
    char text[32];
    return PyUnicode_FromStringAndSize(text, utc_text(ts, text));
}

/* -- plain lines ---------------------------------------------------------------------------- */

/* What cli/visible.py shows instead of obeying (its _UNSAFE_CODES): C0 but tab and newline, DEL,
 * C1, bidi marks, embeddings, overrides and isolates, line/paragraph separators, annotations. */
static int
unsafe(Py_UCS4 c)
{
    if (c < 0x20)
        return c != '\t' && c != '\n';
    if (c < 0x7F)
        return 0;
    if (c <= 0x9F)
        return 1; /* DEL and C1 */
    if (c < 0x061C)
        return 0;
    return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029 || (c >= 0xFFF9 && c <= 0xFFFB);
}

/* A run of characters of one string that goes into the output. */
typedef struct {
    PyObject *str;
    Py_ssize_t start, end;
} Piece;

typedef struct {
    Piece *items; /* `inline_items` until there are more */
    Py_ssize_t n, cap;
    Py_ssize_t length;
    Py_UCS4 maxchar;
    Piece inline_items[24];
} Pieces;

static void
pieces_init(Pieces *p)
{
    p->items = p->inline_items;
    p->n = p->length = 0;
    p->cap = 24;
    p->maxchar = 0;
}

static void
pieces_free(Pieces *p)
{
    if (p->items != p->inline_items)
        PyMem_Free(p->items);
}

static int
add(Pieces *p, PyObject *str, Py_ssize_t start, Py_ssize_t end)
{
    if (p->n == p->cap) {
        Py_ssize_t cap = p->cap * 2;
        Piece *items = PyMem_Malloc(cap * sizeof(Piece));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(items, p->items, p->n * sizeof(Piece));
        pieces_free(p);
        p->items = items;
        p->cap = cap;
    }
    p->items[p->n++] = (Piece){str, start, end};
    p->length += end - start;
    Py_UCS4 m = PyUnicode_MAX_CHAR_VALUE(str);
    if (m > p->maxchar)
        p->maxchar = m;
    return 0;
}

static PyObject *S_SPACE, *S_TWO, *S_NL, *S_INDENT, *S_DASH; /* " ", "  ", "\n", "    ", "-" */

/* `text`'s lines after its first, each as "    line\n"; 1 if it holds a character that must be
 * shown visibly (the caller then falls back to Python), -1 on error. With first != NULL the first
 * line is not written but its end is stored there. */
static int
add_lines(Pieces *p, PyObject *text, Py_ssize_t *first)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text), start = 0;
    int in_first = first != NULL;
    for (Py_ssize_t i = 0; i <= len; i++) {
        Py_UCS4 c = i < len ? PyUnicode_READ(kind, data, i) : '\n';
        if (c != '\n') {
            if (unsafe(c))
                return 1;
            continue;
        }
        if (in_first) {
            *first = i;
            in_first = 0;
        } else if (add(p, S_INDENT, 0, 4) < 0 || add(p, text, start, i) < 0 || add(p, S_NL, 0, 1) < 0) {
            return -1;
        }
        start = i + 1;
    }
    return 0;
}

static int
safe_text(PyObject *text)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    for (Py_ssize_t i = 0; i < len; i++)
        if (unsafe(PyUnicode_READ(kind, data, i)))
            return 0;
    return 1;
}

static PyObject *
join(Pieces *p)
{
    PyObject *out = PyUnicode_New(p->length, p->maxchar);
    if (out == NULL)
        return NULL;
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < p->n; i++) {
        Piece *it = &p->items[i];
        if (PyUnicode_CopyCharacters(out, at, it->str, it->start, it->end - it->start) < 0) {
            Py_DECREF(out);
            return NULL;
        }
        at += it->end - it->start;
    }
    return out;
}

/* render_plain(ts, service, level, message, traceback) -> (text, offset position) or None.
 * cli/logs/render.py plain_text's line, for the usual event; None when a text must be shown
 * visibly, a time is out of range or a value is not what an event holds (plain_text then). */
static PyObject *
render_plain(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "render_plain(ts, service, level, message, traceback)");
        return NULL;
    }
    PyObject *ts = args[0], *service = args[1], *level = args[2], *message = args[3], *tb = args[4];
    if (!PyUnicode_Check(message) || (service != Py_None && !PyUnicode_Check(service)) ||
        (level != Py_None && !PyUnicode_Check(level)) || (tb != Py_None && !PyUnicode_Check(tb)) ||
        (ts != Py_None && !PyFloat_Check(ts)))
        Py_RETURN_NONE;
    PyObject *stamp;
    if (ts == Py_None) {
        stamp = S_DASH;
        Py_INCREF(stamp);
    } else {
        double value = PyFloat_AS_DOUBLE(ts);
        if (!in_range(value))
            Py_RETURN_NONE;
        char text[32];
        if ((stamp = PyUnicode_FromStringAndSize(text, utc_text(value, text))) == NULL)
            return NULL;
    }
    if (service == Py_None || PyUnicode_GET_LENGTH(service) == 0)
        service = S_DASH;
    if (level == Py_None || PyUnicode_GET_LENGTH(level) == 0)
        level = S_DASH;
    PyObject *result = NULL;
    Pieces p, rest;
    pieces_init(&p);
    pieces_init(&rest);
    Py_ssize_t first = 0;
    int rc = safe_text(service) ? add_lines(&rest, message, &first) : 1;
    if (rc == 0 && tb != Py_None && PyUnicode_GET_LENGTH(tb) > 0)
        rc = add_lines(&rest, tb, NULL);
    if (rc < 0)
        goto done;
    if (rc > 0) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    /* f"{stamp}  {service} {level} {first line}\n" then the rest */
    if (add(&p, stamp, 0, PyUnicode_GET_LENGTH(stamp)) < 0 || add(&p, S_TWO, 0, 2) < 0 ||
        add(&p, service, 0, PyUnicode_GET_LENGTH(service)) < 0 || add(&p, S_SPACE, 0, 1) < 0 ||
        add(&p, level, 0, PyUnicode_GET_LENGTH(level)) < 0 || add(&p, S_SPACE, 0, 1) < 0 ||
        add(&p, message, 0, first) < 0 || add(&p, S_NL, 0, 1) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < rest.n; i++)
        if (add(&p, rest.items[i].str, rest.items[i].start, rest.items[i].end) < 0)
            goto done;
    PyObject *text = join(&p), *cut = NULL;
    if (text != NULL && (cut = PyLong_FromSsize_t(PyUnicode_GET_LENGTH(stamp) + 1)) != NULL)
        result = PyTuple_Pack(2, text, cut);
    Py_XDECREF(text);
    Py_XDECREF(cut);
done:
    pieces_free(&p);
    pieces_free(&rest);
    Py_DECREF(stamp);
    return result;
}

/* -- text_record ---------------------------------------------------------------------------- */

/* A text format's record from its regex match: formats/engine.py ``CompiledText._record_py``,
 * step for step, for a format's ``plan`` (``CompiledText.plan`` says what each item is). Where
 * that definition would need what only Python has here (a minute not converted yet, a level
 * name not met yet, a digit that is not ASCII, an error to raise), it answers NotImplemented
 * and the caller runs the definition itself: it then fills the caches this reads. */

enum { P_NAME, P_LAYOUT, P_EPOCH, P_S, P_STAMP, P_MS, P_FRAC, P_TS_TEXT, P_FIELDS, P_NUMBERS, P_LEVEL,
       P_LEVELS, P_MSG, P_RECORD, P_STATUS, P_DURATION, P_SERVICE, P_STREAM, P_OPENS, P_HOOKS, P_SIZE };

static PyObject *A_STATUS, *A_DURATION, *A_SERVICE, *A_STREAM, *A_STREAM_MSG, *A_OPENS, *S_EMPTY;

#define MISSING() (Py_INCREF(Py_NotImplemented), Py_NotImplemented)

/* The group ``index`` (a Python int, or None for "no such group": None) of match ``m``. */
static PyObject *
group(PyObject *m, PyObject *index)
{
    if (index == Py_None) {
        Py_INCREF(Py_None);
        return Py_None;
    }
    return PyObject_GetItem(m, index);
}

/* An ASCII decimal of at most 15 digits (exact as a double) -> 0 and its value; else -1. */
static int
ascii_number(PyObject *text, long long *value)
{
    if (!PyUnicode_Check(text) || !PyUnicode_IS_ASCII(text))
        return -1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const char *c = (const char *)PyUnicode_DATA(text);
    if (n == 0 || n > 15)
        return -1;
    long long v = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (c[i] < '0' || c[i] > '9')
            return -1;
        v = v * 10 + (c[i] - '0');
    }
    *value = v;
    return 0;
}

static const double POW10[16] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* The epoch of the minute ``key`` names (a ``Zone.cache`` entry; the key is used up) plus
 * ``seconds``: 1 and *t, 2 not converted yet (ask Python), -1 error. */
static int
minute_plus(PyObject *cache, PyObject *key, double seconds, double *t)
{
    PyObject *base = PyDict_GetItemWithError(cache, key); /* borrowed */
    Py_DECREF(key);
    if (base == NULL)
        return PyErr_Occurred() ? -1 : 2;
    if (!PyFloat_CheckExact(base))
        return 2;
    *t = PyFloat_AS_DOUBLE(base) + seconds;
    return 1;
}

/* The stamp's time (``_epoch``): 1 and *ts set, 0 "not a time", 2 missing, -1 error. */
static int
stamp_time(PyObject *plan, PyObject *m, PyObject *cache, double *ts)
{
    PyObject *sec = group(m, PyTuple_GET_ITEM(plan, P_S));
    if (sec == NULL)
        return -1;
    long long seconds;
    int rc = 2;
    if (PyUnicode_Check(sec) && PyUnicode_GET_LENGTH(sec) > 2) {
        rc = 0;
    } else if (ascii_number(sec, &seconds) == 0) {
        rc = seconds > 60 ? 0 : 3;
    }
    Py_DECREF(sec);
    if (rc != 3)
        return rc;
    PyObject *at = PyTuple_GET_ITEM(plan, P_STAMP);
    Py_ssize_t n = PyTuple_GET_SIZE(at);
    PyObject *values = PyTuple_New(n);
    if (values == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = group(m, PyTuple_GET_ITEM(at, i));
        if (v == NULL) {
            Py_DECREF(values);
            return -1;
        }
        PyTuple_SET_ITEM(values, i, v);
    }
    PyObject *key = PyTuple_Pack(2, PyTuple_GET_ITEM(plan, P_NAME), values);
    Py_DECREF(values);
    if (key == NULL)
        return -1;
    double t;
    int found = minute_plus(cache, key, (double)seconds, &t);
    if (found != 1)
        return found;
    PyObject *idx = PyTuple_GET_ITEM(plan, P_MS);
    if (idx != Py_None) {
        PyObject *ms = group(m, idx);
        if (ms == NULL)
            return -1;
        long long v;
        int empty = ms == Py_None || (PyUnicode_Check(ms) && PyUnicode_GET_LENGTH(ms) == 0);
        int ok = empty ? 0 : ascii_number(ms, &v);
        Py_DECREF(ms);
        if (ok < 0)
            return 2;
        if (!empty) {
            *ts = t + (double)v / 1000.0;
            return 1;
        }
    }
    idx = PyTuple_GET_ITEM(plan, P_FRAC);
    if (idx != Py_None) {
        PyObject *frac = group(m, idx);
        if (frac == NULL)
            return -1;
        long long v;
        int empty = frac == Py_None || (PyUnicode_Check(frac) && PyUnicode_GET_LENGTH(frac) == 0);
        Py_ssize_t len = empty ? 0 : PyUnicode_GET_LENGTH(frac);
        int ok = empty ? 0 : ascii_number(frac, &v);
        Py_DECREF(frac);
        if (ok < 0)
            return 2;
        if (!empty)
            t = t + (double)v / POW10[len];
    }
    *ts = t;
    return 1;
}

/* ``value.isdigit()`` and ``int(value)`` for an ASCII value: 1 (and *out), 0 not digits, 2 missing. */
static int
digits_to_int(PyObject *value, PyObject **out)
{
    if (!PyUnicode_Check(value))
        return 2;
    if (!PyUnicode_IS_ASCII(value))
        return 2;
    Py_ssize_t n = PyUnicode_GET_LENGTH(value);
    const char *c = (const char *)PyUnicode_DATA(value);
    if (n == 0)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (c[i] < '0' || c[i] > '9')
            return 0;
    *out = PyLong_FromUnicodeObject(value, 10);
    return *out == NULL ? -1 : 1;
}

/* ``int(fields[name])`` / ``float(fields[name]) * factor`` as record() does, a missing field or a
 * ValueError meaning "not set": 1 and *out set, 0 not set, -1 another error (left for the caller). */
static int
field_converted(PyObject *fields, PyObject *name, PyObject *factor, PyObject **out)
{
    PyObject *x = PyDict_GetItemWithError(fields, name); /* borrowed */
    if (x == NULL)
        return PyErr_Occurred() ? -1 : 0;
    PyObject *v = factor == NULL ? PyNumber_Long(x) : PyNumber_Float(x);
    if (v == NULL) {
        if (PyErr_ExceptionMatches(PyExc_ValueError)) {
            PyErr_Clear();
            return 0;
        }
        return -1;
    }
    if (factor != NULL) {
        PyObject *scaled = PyNumber_Multiply(v, factor);
        Py_DECREF(v);
        if (scaled == NULL)
            return -1;
        v = scaled;
    }
    *out = v;
    return 1;
}

/* A format's hooks on its new record (formats/hooks.py): ``fn(rec, match)``, match None for JSON. */
static int
run_hooks(PyObject *hooks, PyObject *rec, PyObject *m)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(hooks); i++) {
        PyObject *call[2] = {rec, m};
        PyObject *r = PyObject_Vectorcall(PyTuple_GET_ITEM(hooks, i), call, 2, NULL);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }
    return 0;
}

/* -- records and events without their __init__ ------------------------------------------------ */

/* A slotted class's layout: where each of its slots (in __slots__ order) is kept. */
typedef struct {
    PyTypeObject *type; /* the class the offsets are of, once learnt */
    const char *const *names;
    Py_ssize_t n;
    Py_ssize_t offset[24];
} Layout;

#define SLOT(obj, layout, i) (*(PyObject **)((char *)(obj) + (layout)->offset[i]))

/* Record.__slots__ and Event.__slots__, in order. */
static const char *const R_NAMES[] = {"format", "ts", "level", "message", "fields", "service", "traceback", "stream",
                                      "stream_msg", "opens", "ts_text", "wrapper", "partial", "status", "duration",
                                      "block", "fallback_level", "frame"};
static const char *const E_NAMES[] = {"source", "line_numbers", "raw", "format", "ts", "level", "service", "message",
                                      "traceback", "fields", "source_index", "ts_inherited", "_correlation_id",
                                      "_status", "_duration", "_naive", "_resolution", "_stamp", "wrapper"};
static Layout R_LAYOUT = {NULL, R_NAMES, sizeof R_NAMES / sizeof R_NAMES[0], {0}};
static Layout E_LAYOUT = {NULL, E_NAMES, sizeof E_NAMES / sizeof E_NAMES[0], {0}};
static PyObject *F_ZERO = NULL; /* 0.0, Event's ts_resolution default */

/* Learn where ``type`` keeps each slot: 1 when its __slots__ are exactly ``l->names``, each an
 * object member of its own; 0 when not (then the class is called, its __init__ runs). */
static int
learn_layout(Layout *l, PyObject *type)
{
    if ((PyObject *)l->type == type)
        return 1;
    if (!PyType_Check(type))
        return 0;
    PyTypeObject *tp = (PyTypeObject *)type;
    PyObject *slots = PyDict_GetItemString(tp->tp_dict, "__slots__"); /* borrowed */
    if (slots == NULL || !PyTuple_Check(slots) || PyTuple_GET_SIZE(slots) != l->n)
        return 0;
    Py_ssize_t offsets[24];
    for (Py_ssize_t i = 0; i < l->n; i++) {
        PyObject *name = PyTuple_GET_ITEM(slots, i);
        if (!PyUnicode_Check(name) || PyUnicode_CompareWithASCIIString(name, l->names[i]) != 0)
            return 0;
        PyObject *d = PyDict_GetItem(tp->tp_dict, name); /* borrowed */
        if (d == NULL || !Py_IS_TYPE(d, &PyMemberDescr_Type))
            return 0;
        PyMemberDef *member = ((PyMemberDescrObject *)d)->d_member;
        if (member->type != T_OBJECT_EX || (member->flags & READONLY))
            return 0;
        offsets[i] = member->offset;
    }
    memcpy(l->offset, offsets, sizeof offsets);
    Py_INCREF(type);
    Py_XSETREF(l->type, tp);
    return 1;
}

/* A new object of the learnt class ``l->type`` holding ``values`` in its slots (new references
 * taken), a new dict where slot ``fields_at`` would hold None (__init__'s ``fields or {}``). */
static PyObject *
filled(Layout *l, PyObject *const *values, Py_ssize_t fields_at)
{
    PyObject *obj = l->type->tp_alloc(l->type, 0);
    if (obj == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < l->n; i++) {
        PyObject *v = values[i];
        if (i == fields_at && v == Py_None) {
            if ((v = PyDict_New()) == NULL) {
                Py_DECREF(obj);
                return NULL;
            }
        } else {
            Py_INCREF(v);
        }
        SLOT(obj, l, i) = v;
    }
    return obj;
}

/* ``type(*args)`` for Record: what its __init__ would set (its defaults for the slots after the
 * ``n`` given), stored straight into the slots. */
static PyObject *
new_record(PyObject *type, PyObject *const *args, Py_ssize_t n)
{
    Layout *l = &R_LAYOUT;
    if (n > l->n || !learn_layout(l, type))
        return PyObject_Vectorcall(type, args, n, NULL);
    PyObject *values[sizeof R_NAMES / sizeof R_NAMES[0]];
    for (Py_ssize_t i = 0; i < l->n; i++)
        values[i] = i < n ? args[i] : (i == 3 ? S_EMPTY : (i == 9 || i == 12 || i == 15) ? Py_False : Py_None);
    return filled(l, values, 4);
}

/* stitch._event_of_py without its Python steps: the event a record opens, its slots filled as
 * Event.__init__ fills them. Called as event_of(fallback, Event, unset, rec, source, linenos,
 * raws, service, index); ``fallback`` (the definition) makes it when a layout is not the known one. */
static PyObject *
event_of(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "event_of(fallback, Event, unset, rec, source, linenos, raws, service, index)");
        return NULL;
    }
    PyObject *rec = args[3];
    Layout *r = &R_LAYOUT, *e = &E_LAYOUT;
    if (!learn_layout(r, (PyObject *)Py_TYPE(rec)) || !learn_layout(e, args[1]))
        return PyObject_Vectorcall(args[0], args + 3, 6, NULL);
    for (Py_ssize_t i = 0; i < r->n; i++)
        if (SLOT(rec, r, i) == NULL) /* a slot never set: the definition raises as it should */
            return PyObject_Vectorcall(args[0], args + 3, 6, NULL);
    PyObject *service = SLOT(rec, r, 5), *ts_text = SLOT(rec, r, 10), *status = SLOT(rec, r, 13);
    PyObject *duration = SLOT(rec, r, 14), *fields = SLOT(rec, r, 4), *unset = args[2];
    int has_service = PyObject_IsTrue(service);
    int has_text = PyObject_IsTrue(ts_text);
    if (has_service < 0 || has_text < 0)
        return NULL;
    PyObject *values[19] = {
        args[4], args[5], args[6], SLOT(rec, r, 0), SLOT(rec, r, 1), SLOT(rec, r, 2), has_service ? service : args[7],
        SLOT(rec, r, 3), SLOT(rec, r, 6), fields, args[8], Py_False, unset, status == Py_None ? unset : status,
        duration == Py_None ? unset : duration, Py_False, F_ZERO,
        SLOT(rec, r, 1) == Py_None || !has_text ? Py_None : ts_text, SLOT(rec, r, 11)};
    return filled(e, values, 9);
}

static PyObject *
text_record(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyTuple_CheckExact(args[0]) || PyTuple_GET_SIZE(args[0]) != P_SIZE ||
        !PyDict_CheckExact(args[2])) {
        PyErr_SetString(PyExc_TypeError, "text_record(plan, match, zone_cache)");
        return NULL;
    }
    PyObject *plan = args[0], *m = args[1], *cache = args[2];
    PyObject *ts = Py_None, *ts_text = Py_None, *fields = NULL, *level = Py_None, *msg = NULL, *rec = NULL;
    PyObject *result = NULL;
    Py_INCREF(ts);
    Py_INCREF(ts_text);
    Py_INCREF(level);
    long layout = PyLong_AsLong(PyTuple_GET_ITEM(plan, P_LAYOUT)); /* 0 none, 1 an epoch group, 2 a stamp */
    if (layout == 1) {
        PyObject *g = group(m, PyTuple_GET_ITEM(plan, P_EPOCH));
        if (g == NULL)
            goto done;
        Py_DECREF(ts);
        ts = PyUnicode_Check(g) ? PyFloat_FromString(g) : NULL;
        Py_DECREF(g);
        if (ts == NULL) {
            PyErr_Clear(); /* float() raises: the definition says so itself */
            result = MISSING();
            goto done;
        }
    } else if (layout == 2) {
        double t;
        int rc = stamp_time(plan, m, cache, &t);
        if (rc < 0)
            goto done;
        if (rc == 0) {
            result = Py_None; /* "2026-13-45 ...": not a time, so not this format */
            Py_INCREF(result);
            goto done;
        }
        if (rc == 2) {
            result = MISSING();
            goto done;
        }
        Py_DECREF(ts);
        if ((ts = PyFloat_FromDouble(t)) == NULL)
            goto done;
    }
    if (layout) { /* the stamp as written (None for an epoch layout: the plan has no group then) */
        Py_DECREF(ts_text);
        if ((ts_text = group(m, PyTuple_GET_ITEM(plan, P_TS_TEXT))) == NULL)
            goto done;
    }
    if ((fields = PyDict_New()) == NULL)
        goto done;
    PyObject *named = PyTuple_GET_ITEM(plan, P_FIELDS); /* ((name, group), ...) */
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(named); i++) {
        PyObject *pair = PyTuple_GET_ITEM(named, i);
        PyObject *v = group(m, PyTuple_GET_ITEM(pair, 1));
        if (v == NULL)
            goto done;
        int rc = v == Py_None ? 0 : PyDict_SetItem(fields, PyTuple_GET_ITEM(pair, 0), v);
        Py_DECREF(v);
        if (rc < 0)
            goto done;
    }
    PyObject *numbers = PyTuple_GET_ITEM(plan, P_NUMBERS);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(numbers); i++) {
        PyObject *name = PyTuple_GET_ITEM(numbers, i);
        PyObject *v = PyDict_GetItemWithError(fields, name), *n = NULL;
        if (v == NULL) {
            if (PyErr_Occurred())
                goto done;
            continue;
        }
        int rc = digits_to_int(v, &n);
        if (rc < 0)
            goto done;
        if (rc == 2) {
            result = MISSING();
            goto done;
        }
        if (rc == 1) {
            rc = PyDict_SetItem(fields, name, n);
            Py_DECREF(n);
            if (rc < 0)
                goto done;
        }
    }
    PyObject *raw = group(m, PyTuple_GET_ITEM(plan, P_LEVEL));
    if (raw == NULL)
        goto done;
    if (raw != Py_None && (!PyUnicode_Check(raw) || PyUnicode_GET_LENGTH(raw) > 0)) {
        PyObject *known = PyDict_GetItemWithError(PyTuple_GET_ITEM(plan, P_LEVELS), raw); /* borrowed */
        Py_DECREF(raw);
        if (known == NULL) {
            if (!PyErr_Occurred())
                result = MISSING();
            goto done;
        }
        Py_DECREF(level);
        level = known;
        Py_INCREF(level);
    } else {
        Py_DECREF(raw);
    }
    if ((msg = group(m, PyTuple_GET_ITEM(plan, P_MSG))) == NULL)
        goto done;
    if (msg == Py_None || (PyUnicode_Check(msg) && PyUnicode_GET_LENGTH(msg) == 0)) {
        Py_DECREF(msg);
        msg = S_EMPTY;
        Py_INCREF(msg);
    }
    {
        PyObject *call[11] = {PyTuple_GET_ITEM(plan, P_NAME), ts, level, msg, fields, Py_None, Py_None,
                              Py_None, Py_None, Py_True, ts_text};
        if ((rec = new_record(PyTuple_GET_ITEM(plan, P_RECORD), call, 11)) == NULL)
            goto done;
    }
    PyObject *status = PyTuple_GET_ITEM(plan, P_STATUS);
    if (status != Py_None) {
        PyObject *n = NULL;
        int rc = field_converted(fields, status, NULL, &n);
        if (rc < 0)
            goto done;
        if (rc == 1) {
            rc = PyDict_SetItem(fields, status, n) < 0 || PyObject_SetAttr(rec, A_STATUS, n) < 0 ? -1 : 0;
            Py_DECREF(n);
            if (rc < 0)
                goto done;
        }
    }
    PyObject *duration = PyTuple_GET_ITEM(plan, P_DURATION); /* (name, factor) or None */
    if (duration != Py_None) {
        PyObject *n = NULL;
        int rc = field_converted(fields, PyTuple_GET_ITEM(duration, 0), PyTuple_GET_ITEM(duration, 1), &n);
        if (rc < 0)
            goto done;
        if (rc == 1) {
            rc = PyObject_SetAttr(rec, A_DURATION, n);
            Py_DECREF(n);
            if (rc < 0)
                goto done;
        }
    }
    PyObject *service = PyTuple_GET_ITEM(plan, P_SERVICE);
    if (service != Py_None) {
        PyObject *v = PyDict_GetItemWithError(fields, service);
        if (v == NULL && PyErr_Occurred())
            goto done;
        int truth = v == NULL ? 0 : PyObject_IsTrue(v);
        if (truth < 0 || (truth && PyObject_SetAttr(rec, A_SERVICE, v) < 0))
            goto done;
    }
    PyObject *stream = PyTuple_GET_ITEM(plan, P_STREAM); /* field names, or None */
    if (stream != Py_None) {
        Py_ssize_t n = PyTuple_GET_SIZE(stream);
        PyObject *key = PyTuple_New(n + 1);
        if (key == NULL)
            goto done;
        Py_INCREF(PyTuple_GET_ITEM(plan, P_NAME));
        PyTuple_SET_ITEM(key, 0, PyTuple_GET_ITEM(plan, P_NAME));
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *v = PyDict_GetItemWithError(fields, PyTuple_GET_ITEM(stream, i));
            if (v == NULL) {
                if (PyErr_Occurred()) {
                    Py_DECREF(key);
                    goto done;
                }
                v = Py_None;
            }
            Py_INCREF(v);
            PyTuple_SET_ITEM(key, i + 1, v);
        }
        int rc = PyObject_SetAttr(rec, A_STREAM, key);
        Py_DECREF(key);
        if (rc < 0 || PyObject_SetAttr(rec, A_STREAM_MSG, msg) < 0)
            goto done;
        PyObject *opens = Py_False, *at = PyTuple_GET_ITEM(plan, P_OPENS);
        if (at != Py_None) {
            PyObject *g = group(m, at);
            if (g == NULL)
                goto done;
            opens = g != Py_None ? Py_True : Py_False;
            Py_DECREF(g);
        }
        if (PyObject_SetAttr(rec, A_OPENS, opens) < 0)
            goto done;
    }
    if (run_hooks(PyTuple_GET_ITEM(plan, P_HOOKS), rec, m) < 0)
        goto done;
    result = rec;
    rec = NULL;
done:
    Py_XDECREF(ts);
    Py_XDECREF(ts_text);
    Py_XDECREF(fields);
    Py_XDECREF(level);
    Py_XDECREF(msg);
    Py_XDECREF(rec);
    return result;
}

/* -- a JSON line's record ------------------------------------------------------------------- */

/* formats/engine.py ``JsonPlan``: what its ``build`` reads, in this order. */
enum { J_NAME, J_EPOCH, J_TS, J_MESSAGE, J_LEVEL, J_SERVICE, J_TB, J_STATUS, J_DURATION, J_HOOKS, J_RECORD,
       J_LEVELS, J_NORMALIZE, J_TRACEBACK, J_STATUS_FN, J_DURATION_FN, J_SIZE };

static PyObject *S_ISO, *S_ERROR, *S_SLASH, *S_LSTRIP; /* "iso", "ERROR", "/", "lstrip" */

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

/* ``parse_timestamp`` of an ASCII str that ``ISO_PATTERN`` matches (timestamps.py ``iso_cached``,
 * its minute taken from ``cache``): 1 and *ts, 0 None (a 61st second or more), 2 ask Python (not
 * that pattern, a minute not converted yet, a character past ASCII), -1 error. */
static int
iso_time(PyObject *value, PyObject *cache, double *ts)
{
    if (!PyUnicode_IS_ASCII(value))
        return 2;
    const char *c = (const char *)PyUnicode_DATA(value);
    Py_ssize_t n = PyUnicode_GET_LENGTH(value);
    static const char shape[] = "dddd-dd-ddTdd:dd:dd"; /* T: 'T' or ' ' */
    if (n < 19)
        return 2;
    for (int i = 0; i < 19; i++) {
        char want = shape[i];
        if (want == 'd' ? !IS_DIGIT(c[i]) : want == 'T' ? (c[i] != 'T' && c[i] != ' ') : c[i] != want)
            return 2;
    }
    Py_ssize_t pos = 19, frac_at = 0, frac_len = 0;
    if (pos + 1 < n && (c[pos] == '.' || c[pos] == ',') && IS_DIGIT(c[pos + 1])) {
        frac_at = pos + 1;
        while (frac_len < 9 && frac_at + frac_len < n && IS_DIGIT(c[frac_at + frac_len]))
            frac_len++;
        pos = frac_at + frac_len;
    }
    /* (?P<tz>\s?(?:Z|[+-]\d{2}:?\d{2}))? : one optional white space, then Z or an offset */
    Py_ssize_t tz_end = -1, p = pos;
    if (p < n && Py_UNICODE_ISSPACE((Py_UCS4)(unsigned char)c[p]))
        p++;
    if (p < n && c[p] == 'Z') {
        tz_end = p + 1;
    } else if (p + 2 < n && (c[p] == '+' || c[p] == '-') && IS_DIGIT(c[p + 1]) && IS_DIGIT(c[p + 2])) {
        if (p + 5 < n && c[p + 3] == ':' && IS_DIGIT(c[p + 4]) && IS_DIGIT(c[p + 5]))
            tz_end = p + 6;
        else if (p + 4 < n && IS_DIGIT(c[p + 3]) && IS_DIGIT(c[p + 4]))
            tz_end = p + 5;
    }
    int sec = (c[17] - '0') * 10 + (c[18] - '0');
    if (sec > 60)
        return 0;
    static const Py_ssize_t at[5][2] = {{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}};
    PyObject *key = PyTuple_New(7);
    if (key == NULL)
        return -1;
    Py_INCREF(S_ISO);
    PyTuple_SET_ITEM(key, 0, S_ISO);
    for (int i = 0; i < 5; i++) {
        PyObject *part = PyUnicode_Substring(value, at[i][0], at[i][1]);
        if (part == NULL) {
            Py_DECREF(key);
            return -1;
        }
        PyTuple_SET_ITEM(key, i + 1, part);
    }
    PyObject *tz = tz_end < 0 ? (Py_INCREF(Py_None), Py_None) : PyUnicode_Substring(value, pos, tz_end);
    if (tz == NULL) {
        Py_DECREF(key);
        return -1;
    }
    PyTuple_SET_ITEM(key, 6, tz);
    double t;
    int found = minute_plus(cache, key, (double)sec, &t);
    if (found != 1)
        return found;
    if (frac_len) {
        long long v = 0;
        for (Py_ssize_t i = 0; i < frac_len; i++)
            v = v * 10 + (c[frac_at + i] - '0');
        t = t + (double)v / POW10[frac_len];
    }
    *ts = t;
    return 1;
}

/* ``iso_epoch(text, zone_cache)``: a wrapper's RFC 3339 stamp (wrappers.py ``_iso``) -> its time,
 * None (not a time), or NotImplemented (ask Python: another spelling, a minute not converted yet). */
static PyObject *
iso_epoch(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyDict_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "iso_epoch(text, zone_cache)");
        return NULL;
    }
    if (!PyUnicode_CheckExact(args[0]))
        return MISSING();
    double t;
    int rc = iso_time(args[0], args[1], &t);
    if (rc < 0)
        return NULL;
    if (rc == 0)
        Py_RETURN_NONE;
    if (rc == 2)
        return MISSING();
    return PyFloat_FromDouble(t);
}

/* flat[key], borrowed: the plan's keys are the object's own, so NULL means "ask Python". */
static PyObject *
plan_value(PyObject *flat, PyObject *keys, Py_ssize_t i)
{
    return PyDict_GetItemWithError(flat, PyTuple_GET_ITEM(keys, i));
}

/* ``normalize_level(value)``, remembered per plan for str values (the same few names repeat). */
static PyObject *
json_level(PyObject *plan, PyObject *value)
{
    PyObject *seen = PyTuple_GET_ITEM(plan, J_LEVELS);
    if (PyUnicode_CheckExact(value)) {
        PyObject *known = PyDict_GetItemWithError(seen, value);
        if (known != NULL) {
            Py_INCREF(known);
            return known;
        }
        if (PyErr_Occurred())
            return NULL;
    }
    PyObject *level = PyObject_CallOneArg(PyTuple_GET_ITEM(plan, J_NORMALIZE), value);
    if (level != NULL && PyUnicode_CheckExact(value) && PyDict_GET_SIZE(seen) < 256 &&
        PyDict_SetItem(seen, value, level) < 0) {
        Py_DECREF(level);
        return NULL;
    }
    return level;
}

static PyObject *
json_record(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyTuple_CheckExact(args[0]) || PyTuple_GET_SIZE(args[0]) != J_SIZE ||
        !PyDict_CheckExact(args[1]) || !PyDict_CheckExact(args[3])) {
        PyErr_SetString(PyExc_TypeError, "json_record(plan, flat, line, zone_cache)");
        return NULL;
    }
    PyObject *plan = args[0], *flat = args[1], *line = args[2], *cache = args[3];
    PyObject *ts = NULL, *ts_text = Py_None, *message = line, *level = NULL, *service = NULL, *tb = NULL;
    PyObject *status = NULL, *duration = NULL, *rec = NULL, *result = NULL, *keys, *v;
    keys = PyTuple_GET_ITEM(plan, J_EPOCH);
    for (Py_ssize_t i = 0; ts == NULL && i < PyTuple_GET_SIZE(keys); i++) {
        if ((v = plan_value(flat, keys, i)) == NULL)
            goto missing;
        if (PyFloat_CheckExact(v) || PyLong_CheckExact(v)) { /* an epoch number (bool is not one) */
            if ((ts = PyNumber_Float(v)) == NULL)
                goto missing; /* past a float: Python says so */
        } else if ((PyLong_Check(v) && !PyBool_Check(v)) || PyFloat_Check(v)) {
            goto missing; /* a subclass: its own float() */
        }
    }
    keys = PyTuple_GET_ITEM(plan, J_TS);
    for (Py_ssize_t i = 0; ts == NULL && i < PyTuple_GET_SIZE(keys); i++) {
        if ((v = plan_value(flat, keys, i)) == NULL)
            goto missing;
        if (v == Py_None || PyBool_Check(v))
            continue; /* not a time */
        if (!PyUnicode_CheckExact(v))
            goto missing;
        double t;
        int rc = iso_time(v, cache, &t);
        if (rc < 0)
            goto done;
        if (rc == 2)
            goto missing;
        if (rc == 1) {
            if ((ts = PyFloat_FromDouble(t)) == NULL)
                goto done;
            ts_text = v;
        }
    }
    keys = PyTuple_GET_ITEM(plan, J_MESSAGE);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(keys); i++) {
        if ((v = plan_value(flat, keys, i)) == NULL)
            goto missing;
        if (PyUnicode_Check(v)) {
            message = v;
            break;
        }
    }
    PyObject *level_key = PyTuple_GET_ITEM(plan, J_LEVEL);
    if (level_key != Py_None) {
        if ((v = PyDict_GetItemWithError(flat, level_key)) == NULL)
            goto missing;
        if ((level = json_level(plan, v)) == NULL)
            goto done;
    }
    keys = PyTuple_GET_ITEM(plan, J_SERVICE);
    for (Py_ssize_t i = 0; service == NULL && i < PyTuple_GET_SIZE(keys); i++) {
        if ((v = plan_value(flat, keys, i)) == NULL)
            goto missing;
        if (PyUnicode_Check(v) && PyUnicode_GET_LENGTH(v) > 0) {
            if (!PyUnicode_CheckExact(v))
                goto missing;
            if (PyUnicode_READ_CHAR(v, 0) == '/')
                service = PyObject_CallMethodOneArg(v, S_LSTRIP, S_SLASH);
            else
                service = (Py_INCREF(v), v);
            if (service == NULL)
                goto done;
        }
    }
    keys = PyTuple_GET_ITEM(plan, J_TB);
    for (Py_ssize_t i = 0; tb == NULL && i < PyTuple_GET_SIZE(keys); i++) {
        if ((v = plan_value(flat, keys, i)) == NULL)
            goto missing;
        if (v == Py_None || (PyUnicode_CheckExact(v) && PyUnicode_GET_LENGTH(v) == 0))
            continue; /* traceback_text: no traceback */
        PyObject *text = PyObject_CallOneArg(PyTuple_GET_ITEM(plan, J_TRACEBACK), v);
        if (text == NULL)
            goto done;
        if (text == Py_None)
            Py_DECREF(text);
        else
            tb = text;
    }
    if (tb != NULL && (level == NULL || level == Py_None)) {
        Py_XDECREF(level);
        level = (Py_INCREF(S_ERROR), S_ERROR);
    }
    if (PyTuple_GET_SIZE(PyTuple_GET_ITEM(plan, J_STATUS)) &&
        (status = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(plan, J_STATUS_FN), flat,
                                               PyTuple_GET_ITEM(plan, J_STATUS), NULL)) == NULL)
        goto done;
    if (PyTuple_GET_SIZE(PyTuple_GET_ITEM(plan, J_DURATION)) &&
        (duration = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(plan, J_DURATION_FN), flat,
                                                 PyTuple_GET_ITEM(plan, J_DURATION), NULL)) == NULL)
        goto done;
    {
        PyObject *call[15] = {PyTuple_GET_ITEM(plan, J_NAME), ts ? ts : Py_None, level ? level : Py_None, message,
                              flat, service ? service : Py_None, tb ? tb : Py_None, Py_None, Py_None, Py_True,
                              ts_text, Py_None, Py_False, status ? status : Py_None,
                              duration ? duration : Py_None};
        if ((rec = new_record(PyTuple_GET_ITEM(plan, J_RECORD), call, 15)) == NULL)
            goto done;
    }
    if (run_hooks(PyTuple_GET_ITEM(plan, J_HOOKS), rec, Py_None) < 0)
        goto done;
    result = rec;
    rec = NULL;
    goto done;
missing:
    if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_OverflowError)) {
        PyErr_Clear();
        result = MISSING();
    }
done:
    Py_XDECREF(ts);
    Py_XDECREF(level);
    Py_XDECREF(service);
    Py_XDECREF(tb);
    Py_XDECREF(status);
    Py_XDECREF(duration);
    Py_XDECREF(rec);
    return result;
}

/* -- JSON text ------------------------------------------------------------------------------ */

/* dump_json(obj) -> str, or NotImplemented. cli/logs/render.py ``dumps``: what
 * ``json.JSONEncoder(ensure_ascii=False, default=str).encode`` writes, with the characters
 * ``inert_json`` escapes (DEL, C1, bidi, separators) as \uXXXX. ``--json`` writes one per event,
 * and the stdlib's encoder took more time than reading the line. Only what an event holds is
 * written here (str, int, float, bool, None, lists, tuples, dicts with str keys, nested to 64);
 * anything else is NotImplemented, and the caller asks the stdlib. */

/* The text being written: one byte a character while every character fits in Latin-1 (nearly
 * every event), four once one does not. */
typedef struct {
    void *buf;
    int wide; /* buf holds Py_UCS4, not Py_UCS1 */
    Py_ssize_t n, cap;
    Py_UCS4 maxchar;
    Py_UCS1 inline_buf[8192];
} Out;

static int
out_reserve(Out *o, Py_ssize_t more)
{
    if (o->n + more <= o->cap)
        return 0;
    Py_ssize_t cap = o->cap, size = o->wide ? sizeof(Py_UCS4) : 1;
    while (cap < o->n + more)
        cap *= 2;
    void *buf = PyMem_Malloc(cap * size);
    if (buf == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(buf, o->buf, o->n * size);
    if (o->buf != o->inline_buf)
        PyMem_Free(o->buf);
    o->buf = buf;
    o->cap = cap;
    return 0;
}

/* From one byte a character to four: a character past Latin-1 is to be written. */
static int
out_widen(Out *o)
{
    Py_ssize_t cap = o->cap > 1024 ? o->cap : 1024;
    Py_UCS4 *buf = PyMem_Malloc(cap * sizeof(Py_UCS4));
    if (buf == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    const Py_UCS1 *from = o->buf;
    for (Py_ssize_t i = 0; i < o->n; i++)
        buf[i] = from[i];
    if (o->buf != o->inline_buf)
        PyMem_Free(o->buf);
    o->buf = buf;
    o->cap = cap;
    o->wide = 1;
    return 0;
}

static int
out_ascii(Out *o, const char *text, Py_ssize_t len)
{
    if (out_reserve(o, len) < 0)
        return -1;
    if (o->wide) {
        Py_UCS4 *at = (Py_UCS4 *)o->buf + o->n;
        for (Py_ssize_t i = 0; i < len; i++)
            at[i] = (unsigned char)text[i];
    } else {
        memcpy((Py_UCS1 *)o->buf + o->n, text, len);
    }
    o->n += len;
    return 0;
}

static const char HEX[] = "0123456789abcdef";

/* json's escape_unicode (ensure_ascii=False), then inert_json's \uXXXX for the unsafe >= DEL.
 * The short escape of a character, 'u' for \uXXXX, or 0 for the character itself. */
static char
escape_of(Py_UCS4 c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    case '\b': return 'b';
    case '\f': return 'f';
    }
    return c < 0x20 || (c >= 0x7F && unsafe(c)) ? 'u' : 0;
}

static char LATIN1_ESCAPE[256]; /* escape_of for U+0000..U+00FF, filled at import */

/* the escape of c at `at` (6 characters of room), in the buffer's width; how many were written */
static Py_ssize_t
out_escape(Out *o, Py_ssize_t at, Py_UCS4 c, char esc)
{
    char text[6] = {'\\', esc, HEX[(c >> 12) & 0xF], HEX[(c >> 8) & 0xF], HEX[(c >> 4) & 0xF], HEX[c & 0xF]};
    Py_ssize_t len = esc == 'u' ? 6 : 2;
    for (Py_ssize_t i = 0; i < len; i++) {
        if (o->wide)
            ((Py_UCS4 *)o->buf)[at + i] = (unsigned char)text[i];
        else
            ((Py_UCS1 *)o->buf)[at + i] = (unsigned char)text[i];
    }
    return len;
}

static int
out_string(Out *o, PyObject *str)
{
    int kind = PyUnicode_KIND(str);
    const void *data = PyUnicode_DATA(str);
    Py_ssize_t len = PyUnicode_GET_LENGTH(str);
    if (kind != PyUnicode_1BYTE_KIND && !o->wide && out_widen(o) < 0)
        return -1;
    if (out_reserve(o, 6 * len + 2) < 0) /* the worst case: every character as \uXXXX */
        return -1;
    Py_ssize_t n = o->n;
    if (kind == PyUnicode_1BYTE_KIND) { /* nearly every string: runs copied, escapes by table */
        const Py_UCS1 *text = data;
        Py_UCS1 *narrow = o->wide ? NULL : o->buf;
        Py_UCS4 *wide = o->wide ? o->buf : NULL;
        Py_ssize_t run = 0;
        if (narrow) narrow[n] = '"'; else wide[n] = '"';
        n++;
        for (Py_ssize_t i = 0; i <= len; i++) {
            char esc = i < len ? LATIN1_ESCAPE[text[i]] : 1;
            if (!esc)
                continue;
            if (narrow) {
                memcpy(narrow + n, text + run, i - run);
            } else {
                for (Py_ssize_t j = run; j < i; j++)
                    wide[n + j - run] = text[j];
            }
            n += i - run;
            if (i < len)
                n += out_escape(o, n, text[i], esc);
            run = i + 1;
        }
        if (PyUnicode_MAX_CHAR_VALUE(str) > 0x7F && o->maxchar < 0xFF) {
            /* a character past ASCII is written unless every one of them was escaped */
            for (Py_ssize_t i = 0; i < len; i++) {
                if (text[i] > 0x7F && !LATIN1_ESCAPE[text[i]]) {
                    o->maxchar = 0xFF; /* (PyUnicode_New needs only the width: ASCII, Latin-1, ...) */
                    break;
                }
            }
        }
    } else {
        Py_UCS4 *wide = o->buf;
        wide[n++] = '"';
        for (Py_ssize_t i = 0; i < len; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            char esc = escape_of(c);
            if (esc) {
                n += out_escape(o, n, c, esc);
            } else {
                if (c > o->maxchar)
                    o->maxchar = c;
                wide[n++] = c;
            }
        }
    }
    if (o->wide) ((Py_UCS4 *)o->buf)[n] = '"'; else ((Py_UCS1 *)o->buf)[n] = '"';
    o->n = n + 1;
    return 0;
}

/* 0 written, 1 not this encoder's to write (NotImplemented), -1 error */
static int
out_value(Out *o, PyObject *obj, int depth)
{
    if (obj == Py_None)
        return out_ascii(o, "null", 4);
    if (obj == Py_True)
        return out_ascii(o, "true", 4);
    if (obj == Py_False)
        return out_ascii(o, "false", 5);
    if (PyUnicode_Check(obj))
        return out_string(o, obj);
    if (PyLong_Check(obj)) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (overflow)
            return 1; /* past 64 bits: int.__repr__ (and its digit limit) in Python */
        if (v == -1 && PyErr_Occurred())
            return -1;
        char text[24];
        return out_ascii(o, text, snprintf(text, sizeof text, "%lld", v));
    }
    if (PyFloat_Check(obj)) {
        double d = PyFloat_AS_DOUBLE(obj);
        if (!isfinite(d)) {
            if (isnan(d))
                return out_ascii(o, "NaN", 3);
            return d > 0 ? out_ascii(o, "Infinity", 8) : out_ascii(o, "-Infinity", 9);
        }
        char *text = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (text == NULL)
            return -1;
        int rc = out_ascii(o, text, (Py_ssize_t)strlen(text));
        PyMem_Free(text);
        return rc;
    }
    if (depth >= 64)
        return 1;
    if (PyList_CheckExact(obj) || PyTuple_CheckExact(obj)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(obj);
        if (out_ascii(o, "[", 1) < 0)
            return -1;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (i && out_ascii(o, ", ", 2) < 0)
                return -1;
            PyObject *item = PySequence_Fast_GET_ITEM(obj, i);
            Py_INCREF(item); /* a list may shrink under a str subclass's methods: hold the item */
            int rc = out_value(o, item, depth + 1);
            Py_DECREF(item);
            if (rc)
                return rc;
            if (PyList_CheckExact(obj) && PyList_GET_SIZE(obj) != n)
                return 1;
        }
        return out_ascii(o, "]", 1);
    }
    if (PyDict_CheckExact(obj)) {
        Py_ssize_t pos = 0, n = PyDict_GET_SIZE(obj);
        PyObject *key, *value;
        int first = 1;
        if (out_ascii(o, "{", 1) < 0)
            return -1;
        while (PyDict_Next(obj, &pos, &key, &value)) {
            if (!PyUnicode_Check(key))
                return 1; /* json's own conversions of other keys, in Python */
            if (!first && out_ascii(o, ", ", 2) < 0)
                return -1;
            first = 0;
            Py_INCREF(value);
            int rc = out_string(o, key);
            if (rc == 0)
                rc = out_ascii(o, ": ", 2);
            if (rc == 0)
                rc = out_value(o, value, depth + 1);
            Py_DECREF(value);
            if (rc)
                return rc;
            if (PyDict_GET_SIZE(obj) != n)
                return 1;
        }
        return out_ascii(o, "}", 1);
    }
    return 1; /* default=str, subclasses of list and dict, ...: the stdlib's */
}

static PyObject *
dump_json(PyObject *Py_UNUSED(self), PyObject *obj)
{
    Out o;
    o.buf = o.inline_buf;
    o.wide = 0;
    o.n = 0;
    o.cap = sizeof o.inline_buf;
    o.maxchar = 0x7F;
    int rc = out_value(&o, obj, 0);
    PyObject *result = NULL;
    if (rc == 0) {
        result = PyUnicode_New(o.n, o.maxchar);
        if (result != NULL) {
            int kind = PyUnicode_KIND(result);
            if (!o.wide) {
                memcpy(PyUnicode_1BYTE_DATA(result), o.buf, o.n);
            } else if (kind == PyUnicode_1BYTE_KIND) {
                Py_UCS1 *to = PyUnicode_1BYTE_DATA(result);
                for (Py_ssize_t i = 0; i < o.n; i++)
                    to[i] = (Py_UCS1)((Py_UCS4 *)o.buf)[i];
            } else if (kind == PyUnicode_2BYTE_KIND) {
                Py_UCS2 *to = PyUnicode_2BYTE_DATA(result);
                for (Py_ssize_t i = 0; i < o.n; i++)
                    to[i] = (Py_UCS2)((Py_UCS4 *)o.buf)[i];
            } else {
                memcpy(PyUnicode_4BYTE_DATA(result), o.buf, o.n * sizeof(Py_UCS4));
            }
        }
    } else if (rc == 1) {
        result = Py_NewRef(Py_NotImplemented);
    }
    if (o.buf != o.inline_buf)
        PyMem_Free(o.buf);
    return result;
}

/* -- the hooks of the busiest formats (formats/hooks.py: each is held to its Python definition) -- */

static PyObject *A_FIELDS, *A_TS, *A_TS_TEXT, *A_MESSAGE, *A_LEVEL, *K_REST, *K_REQUEST_ID, *K_MSEC, *K_REMOTE,
    *K_REQUEST, *K_BYTES, *K_CTX, *K_USER, *K_TENANT, *K_CONTEXT, *S_WARNING, *S_INFO, *S_DOT, *S_REQ;
/* A hook is called as ``fn(rec, match)`` (engine.py, run_hooks). */
#define HOOK_ARGS(name)                                                     \
    do {                                                                    \
        if (nargs != 2) {                                                   \
            PyErr_SetString(PyExc_TypeError, name "(rec, match)");          \
            return NULL;                                                    \
        }                                                                   \
    } while (0)

static PyObject *py_hooks = NULL; /* devkit.logs.formats.hooks, for what C leaves to the definitions */

/* The Python definition ``hooks.<name>`` on (rec, m): text past ASCII, a field of an odd type. */
static PyObject *
hook_py(const char *name, PyObject *rec, PyObject *m)
{
    if (py_hooks == NULL && (py_hooks = PyImport_ImportModule("devkit.logs.formats.hooks")) == NULL)
        return NULL;
    PyObject *fn = PyObject_GetAttrString(py_hooks, name);
    if (fn == NULL)
        return NULL;
    PyObject *r = PyObject_CallFunctionObjArgs(fn, rec, m, NULL);
    Py_DECREF(fn);
    return r;
}

static int
key_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
key_char(char c)
{
    return key_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

#define SPACE(c) Py_UNICODE_ISSPACE((Py_UCS4)(unsigned char)(c))

/* _KV's value at c[v:]: ``"..."`` with backslash escapes (not of a newline), else ``\S*``; its end. */
static Py_ssize_t
kv_value_end(const char *c, Py_ssize_t v, Py_ssize_t n)
{
    if (v < n && c[v] == '"') {
        for (Py_ssize_t k = v + 1; k < n; k++) {
            if (c[k] == '"')
                return k + 1;
            if (c[k] == '\\') {
                if (k + 1 >= n || c[k + 1] == '\n')
                    break;
                k++;
            }
        }
    }
    Py_ssize_t k = v;
    while (k < n && !SPACE(c[k]))
        k++;
    return k;
}

/* _BARE_NUMBER: ``\d+(?:\.\d+)?\Z``; *dot set when it has the fraction. */
static int
bare_number(const char *c, Py_ssize_t n, int *dot)
{
    Py_ssize_t i = 0;
    while (i < n && IS_DIGIT(c[i]))
        i++;
    if (i == 0)
        return 0;
    *dot = 0;
    if (i == n)
        return 1;
    if (c[i] != '.' || i + 1 == n)
        return 0;
    for (Py_ssize_t k = i + 1; k < n; k++)
        if (!IS_DIGIT(c[k]))
            return 0;
    *dot = 1;
    return 1;
}

#define IS_HEX(c) (IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))

/* _BARE_ID: ``[0-9a-fA-F][0-9a-fA-F-]{15,}\Z``. */
static int
bare_id(const char *c, Py_ssize_t n)
{
    if (n < 16 || !IS_HEX(c[0]))
        return 0;
    for (Py_ssize_t i = 1; i < n; i++)
        if (!IS_HEX(c[i]) && c[i] != '-')
            return 0;
    return 1;
}

/* The bare values between the pairs (``"".join(gaps).split()``, each ``strip('"')``): a duration, a request ID. */
static int
bare_values(PyObject *rec, PyObject *fields, const char *gaps, Py_ssize_t n)
{
    PyObject *duration = PyObject_GetAttr(rec, A_DURATION);
    if (duration == NULL)
        return -1;
    int unset = duration == Py_None;
    Py_DECREF(duration);
    Py_ssize_t i = 0;
    while (i < n) {
        while (i < n && SPACE(gaps[i]))
            i++;
        if (i == n)
            break;
        Py_ssize_t a = i;
        while (i < n && !SPACE(gaps[i]))
            i++;
        Py_ssize_t b = i;
        while (a < b && gaps[a] == '"')
            a++;
        while (b > a && gaps[b - 1] == '"')
            b--;
        int dot;
        if (bare_number(gaps + a, b - a, &dot) && unset) {
            PyObject *token = PyUnicode_FromStringAndSize(gaps + a, b - a), *value;
            if (token == NULL)
                return -1;
            if (dot) {
                value = PyFloat_FromString(token);
            } else {
                PyObject *whole = PyLong_FromUnicodeObject(token, 10), *million = PyFloat_FromDouble(1e6);
                value = whole == NULL || million == NULL ? NULL : PyNumber_TrueDivide(whole, million);
                Py_XDECREF(whole);
                Py_XDECREF(million);
            }
            Py_DECREF(token);
            int rc = value == NULL ? -1 : PyObject_SetAttr(rec, A_DURATION, value);
            Py_XDECREF(value);
            if (rc < 0)
                return -1;
            unset = 0;
        } else if (bare_id(gaps + a, b - a)) {
            int has = PyDict_Contains(fields, K_REQUEST_ID);
            if (has < 0)
                return -1;
            if (!has) {
                PyObject *token = PyUnicode_FromStringAndSize(gaps + a, b - a);
                int rc = token == NULL ? -1 : PyDict_SetItem(fields, K_REQUEST_ID, token);
                Py_XDECREF(token);
                if (rc < 0)
                    return -1;
            }
        }
    }
    return 0;
}

/* fields.get(key, default), formatted as an f-string does: a new reference. */
static PyObject *
formatted_field(PyObject *fields, PyObject *key, PyObject *dflt)
{
    PyObject *v = PyDict_GetItemWithError(fields, key);
    if (v == NULL && PyErr_Occurred())
        return NULL;
    return PyObject_Format(v == NULL ? dflt : v, S_EMPTY);
}

/* ``msec`` (nginx $msec), as the definition reads it: any str whose one dot removed leaves digits. */
static int
msec_time(PyObject *rec, PyObject *fields)
{
    PyObject *msec = PyDict_GetItemWithError(fields, K_MSEC);
    if (msec == NULL)
        return PyErr_Occurred() ? -1 : 0;
    if (!PyUnicode_Check(msec))
        return 0;
    Py_INCREF(msec);
    PyObject *bare = PyUnicode_Replace(msec, S_DOT, S_EMPTY, 1);
    PyObject *digits = bare == NULL ? NULL : PyObject_CallMethod(bare, "isdigit", NULL);
    Py_XDECREF(bare);
    int rc = digits == NULL ? -1 : PyObject_IsTrue(digits);
    Py_XDECREF(digits);
    if (rc == 1) {
        PyObject *ts = PyFloat_FromString(msec);
        rc = ts == NULL || PyObject_SetAttr(rec, A_TS, ts) < 0 || PyObject_SetAttr(rec, A_TS_TEXT, Py_None) < 0 ? -1 : 0;
        Py_XDECREF(ts);
    }
    Py_DECREF(msec);
    return rc < 0 ? -1 : 0;
}

static PyObject *
access_tail(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    HOOK_ARGS("access_tail");
    PyObject *rec = args[0], *fields = PyObject_GetAttr(rec, A_FIELDS), *rest = NULL;
    if (fields == NULL)
        return NULL;
    if (PyDict_CheckExact(fields)) {
        rest = PyDict_GetItemWithError(fields, K_REST);
        if (rest == NULL && PyErr_Occurred())
            goto fail;
    }
    if (!PyDict_CheckExact(fields) || (rest != NULL && rest != Py_None && !(PyUnicode_CheckExact(rest) && PyUnicode_IS_ASCII(rest)))) {
        Py_DECREF(fields);
        return hook_py("_access_tail_py", rec, args[1]);
    }
    Py_XINCREF(rest);
    if (rest != NULL && PyDict_DelItem(fields, K_REST) < 0)
        goto fail;
    const char *c = rest != NULL && rest != Py_None ? (const char *)PyUnicode_DATA(rest) : "";
    Py_ssize_t n = rest != NULL && rest != Py_None ? PyUnicode_GET_LENGTH(rest) : 0;
    while (n > 0 && SPACE(c[n - 1]))
        n--;
    while (n > 0 && SPACE(c[0])) {
        c++;
        n--;
    }
    char *gaps = PyMem_Malloc(n + 1);
    PyObject *extras = PyList_New(0);
    if (gaps == NULL || extras == NULL) {
        PyMem_Free(gaps);
        Py_XDECREF(extras);
        goto fail;
    }
    Py_ssize_t g = 0, end = 0, i = 0;
    int err = 0;
    while (i < n && !err) { /* _KV.finditer: the pairs, and the text between them */
        if (!key_start(c[i])) {
            i++;
            continue;
        }
        Py_ssize_t j = i + 1;
        while (j < n && key_char(c[j]))
            j++;
        if (j >= n || c[j] != '=') {
            i = j + 1; /* no start inside this run reaches an '=' either */
            continue;
        }
        Py_ssize_t v = j + 1, ve = kv_value_end(c, v, n);
        PyObject *key = PyUnicode_FromStringAndSize(c + i, j - i);
        PyObject *value = v < ve && c[v] == '"' ? PyUnicode_FromStringAndSize(c + v + 1, ve - v >= 2 ? ve - v - 2 : 0)
                                                : PyUnicode_FromStringAndSize(c + v, ve - v);
        PyObject *pair = PyUnicode_FromStringAndSize(c + i, ve - i);
        err = key == NULL || value == NULL || pair == NULL || PyDict_SetItem(fields, key, value) < 0 ||
              PyList_Append(extras, pair) < 0;
        Py_XDECREF(key);
        Py_XDECREF(value);
        Py_XDECREF(pair);
        memcpy(gaps + g, c + end, i - end);
        g += i - end;
        end = i = ve;
    }
    memcpy(gaps + g, c + end, n - end);
    g += n - end;
    if (!err)
        err = bare_values(rec, fields, gaps, g) < 0 || msec_time(rec, fields) < 0;
    PyMem_Free(gaps);
    PyObject *message = NULL;
    if (!err) {
        PyObject *status = PyObject_GetAttr(rec, A_STATUS);
        PyObject *parts[4] = {formatted_field(fields, K_REMOTE, S_DASH), formatted_field(fields, K_REQUEST, S_EMPTY),
                              status == NULL ? NULL : PyObject_Format(status, S_EMPTY),
                              formatted_field(fields, K_BYTES, S_DASH)};
        Py_XDECREF(status);
        if (parts[0] && parts[1] && parts[2] && parts[3])
            message = PyUnicode_FromFormat("%U \"%U\" %U %U", parts[0], parts[1], parts[2], parts[3]);
        for (int k = 0; k < 4; k++)
            Py_XDECREF(parts[k]);
        if (message != NULL && PyList_GET_SIZE(extras) > 0) {
            PyObject *joined = PyUnicode_Join(S_SPACE, extras);
            PyObject *tail = joined == NULL ? NULL : PyUnicode_Concat(S_SPACE, joined);
            Py_XDECREF(joined);
            PyObject *whole = tail == NULL ? NULL : PyUnicode_Concat(message, tail);
            Py_XDECREF(tail);
            Py_SETREF(message, whole);
        }
        err = message == NULL || PyObject_SetAttr(rec, A_MESSAGE, message) < 0;
        Py_XDECREF(message);
    }
    Py_DECREF(extras);
    Py_XDECREF(rest);
    Py_DECREF(fields);
    if (err)
        return NULL;
    Py_RETURN_NONE;
fail:
    Py_XDECREF(rest);
    Py_DECREF(fields);
    return NULL;
}

static PyObject *
level_from_status(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    HOOK_ARGS("level_from_status");
    PyObject *rec = args[0], *status = PyObject_GetAttr(rec, A_STATUS), *level = NULL;
    if (status == NULL)
        return NULL;
    int rc = 0;
    if (status != Py_None) {
        if (!PyLong_CheckExact(status)) {
            Py_DECREF(status);
            return hook_py("_level_from_status_py", rec, args[1]);
        }
        if ((level = PyObject_GetAttr(rec, A_LEVEL)) == NULL) {
            rc = -1;
        } else if (level == Py_None) {
            int overflow;
            long long v = PyLong_AsLongLongAndOverflow(status, &overflow);
            if (v == -1 && PyErr_Occurred())
                rc = -1;
            else
                rc = PyObject_SetAttr(rec, A_LEVEL, overflow > 0 || (!overflow && v >= 500) ? S_ERROR
                                                    : !overflow && v >= 400 ? S_WARNING : S_INFO);
        }
    }
    Py_XDECREF(level);
    Py_DECREF(status);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
oslo_context(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    HOOK_ARGS("oslo_context");
    PyObject *rec = args[0], *fields = PyObject_GetAttr(rec, A_FIELDS);
    if (fields == NULL)
        return NULL;
    PyObject *ctx = PyDict_CheckExact(fields) ? PyDict_GetItemWithError(fields, K_CTX) : NULL;
    if (ctx == NULL && PyErr_Occurred()) {
        Py_DECREF(fields);
        return NULL;
    }
    if (!PyDict_CheckExact(fields) || (ctx != NULL && ctx != Py_None && !PyUnicode_CheckExact(ctx))) {
        Py_DECREF(fields);
        return hook_py("_oslo_context_py", rec, args[1]);
    }
    int rc = 0;
    if (ctx != NULL) {
        Py_INCREF(ctx);
        rc = PyDict_DelItem(fields, K_CTX);
    }
    if (rc == 0 && ctx != NULL && ctx != Py_None) {
        PyObject *parts = PyUnicode_Split(ctx, NULL, -1);
        if (parts == NULL) {
            rc = -1;
        } else {
            Py_ssize_t k = PyList_GET_SIZE(parts);
            int req = k > 0 ? PyUnicode_Tailmatch(PyList_GET_ITEM(parts, 0), S_REQ, 0, PY_SSIZE_T_MAX, -1) : 0;
            if (req < 0) {
                rc = -1;
            } else if (req) {
                rc = PyDict_SetItem(fields, K_REQUEST_ID, PyList_GET_ITEM(parts, 0));
                PyObject *names[2] = {K_USER, K_TENANT};
                for (Py_ssize_t i = 1; i < 3 && i < k && rc == 0; i++) {
                    PyObject *part = PyList_GET_ITEM(parts, i);
                    int dash = PyUnicode_CompareWithASCIIString(part, "-") == 0;
                    if (!dash)
                        rc = PyDict_SetItem(fields, names[i - 1], part);
                }
            } else {
                rc = PyDict_SetItem(fields, K_CONTEXT, ctx);
            }
            Py_DECREF(parts);
        }
    }
    Py_XDECREF(ctx);
    Py_DECREF(fields);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *structlog_quiet = NULL; /* hooks._STRUCTLOG_QUIET */

static PyObject *
structlog_extras(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    HOOK_ARGS("structlog_extras");
    if (structlog_quiet == NULL) {
        if (py_hooks == NULL && (py_hooks = PyImport_ImportModule("devkit.logs.formats.hooks")) == NULL)
            return NULL;
        if ((structlog_quiet = PyObject_GetAttrString(py_hooks, "_STRUCTLOG_QUIET")) == NULL)
            return NULL;
    }
    PyObject *rec = args[0], *fields = PyObject_GetAttr(rec, A_FIELDS), *extras = NULL;
    if (fields == NULL)
        return NULL;
    if (!PyDict_CheckExact(fields))
        goto python;
    if ((extras = PyList_New(0)) == NULL)
        goto fail;
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(fields, &pos, &k, &v)) {
        if (!PyUnicode_CheckExact(k))
            goto python;
        int quiet = PySet_Contains(structlog_quiet, k);
        if (quiet < 0)
            goto fail;
        if (quiet || PyUnicode_FindChar(k, '.', 0, PyUnicode_GET_LENGTH(k), 1) != -1 || PyDict_Check(v) || PyList_Check(v))
            continue;
        Py_INCREF(k);
        Py_INCREF(v);
        PyObject *text = PyObject_Format(v, S_EMPTY);
        PyObject *pair = text == NULL ? NULL : PyUnicode_FromFormat("%U=%U", k, text);
        Py_DECREF(k);
        Py_DECREF(v);
        Py_XDECREF(text);
        int rc = pair == NULL ? -1 : PyList_Append(extras, pair);
        Py_XDECREF(pair);
        if (rc < 0)
            goto fail;
    }
    if (PyList_GET_SIZE(extras) > 0) {
        PyObject *msg = PyObject_GetAttr(rec, A_MESSAGE);
        PyObject *head = msg == NULL ? NULL : PyObject_Format(msg, S_EMPTY);
        Py_XDECREF(msg);
        PyObject *joined = head == NULL ? NULL : PyUnicode_Join(S_SPACE, extras);
        PyObject *whole = joined == NULL ? NULL : PyUnicode_FromFormat("%U %U", head, joined);
        Py_XDECREF(head);
        Py_XDECREF(joined);
        int rc = whole == NULL ? -1 : PyObject_SetAttr(rec, A_MESSAGE, whole);
        Py_XDECREF(whole);
        if (rc < 0)
            goto fail;
    }
    Py_DECREF(extras);
    Py_DECREF(fields);
    Py_RETURN_NONE;
python:
    Py_XDECREF(extras);
    Py_DECREF(fields);
    return hook_py("_structlog_extras_py", rec, args[1]);
fail:
    Py_XDECREF(extras);
    Py_DECREF(fields);
    return NULL;
}

/* -- a syslog line's parts ------------------------------------------------------------------ */

/* wrappers.py ``_RFC5424``'s groups of ``line``: (pri, stamp, host, app, procid, msgid, sd, msg),
 * None where it does not match, NotImplemented for a digit past ASCII in PRI (ask the regex). */
static PyObject *
rfc5424_parts(PyObject *Py_UNUSED(self), PyObject *line)
{
    if (!PyUnicode_Check(line)) {
        PyErr_SetString(PyExc_TypeError, "rfc5424_parts(line: str)");
        return NULL;
    }
    int kind = PyUnicode_KIND(line);
    const void *data = PyUnicode_DATA(line);
    Py_ssize_t n = PyUnicode_GET_LENGTH(line), at[16], i = 0, k = 0;
#define CH(j) PyUnicode_READ(kind, data, (j))
    if (n < 2 || CH(0) != '<')
        Py_RETURN_NONE;
    for (i = 1; i < n && i < 5 && CH(i) != '>'; i++)
        if (CH(i) > 127 && Py_UNICODE_ISDECIMAL(CH(i)))
            return MISSING();
        else if (CH(i) < '0' || CH(i) > '9')
            Py_RETURN_NONE;
    if (i == 1 || i > 4 || i >= n || CH(i) != '>')
        Py_RETURN_NONE;
    at[k++] = 1, at[k++] = i;
    if (i + 2 >= n || CH(i + 1) != '1' || CH(i + 2) != ' ')
        Py_RETURN_NONE;
    i += 3;
    for (int field = 0; field < 5; field++) { /* (\S+) followed by one space */
        Py_ssize_t start = i;
        while (i < n && !Py_UNICODE_ISSPACE(CH(i)))
            i++;
        if (i == start || i >= n || CH(i) != ' ')
            Py_RETURN_NONE;
        at[k++] = start, at[k++] = i;
        i++;
    }
    Py_ssize_t sd = i;
    if (i < n && CH(i) == '-') {
        i++;
    } else { /* (?:\[[^\]\\]*(?:\\.[^\]\\]*)*\])+ */
        Py_ssize_t end = -1;
        while (i < n && CH(i) == '[') {
            Py_ssize_t j = i + 1;
            while (j < n && CH(j) != ']')
                j += CH(j) == '\\' ? 2 : 1;
            if (j >= n)
                break;
            end = i = j + 1;
        }
        if (end < 0)
            Py_RETURN_NONE;
        i = end;
    }
    at[k++] = sd, at[k++] = i;
    if (i < n && CH(i) == ' ')
        i++;
    at[k++] = i, at[k++] = n;
#undef CH
    PyObject *out = PyTuple_New(8);
    if (out == NULL)
        return NULL;
    for (int g = 0; g < 8; g++) {
        PyObject *part = PyUnicode_Substring(line, at[2 * g], at[2 * g + 1]);
        if (part == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, g, part);
    }
    return out;
}

/* -- detect: engine.Detector.parse's usual line ------------------------------------------------ */

static PyObject *S_LASTGROUP = NULL; /* "lastgroup" */

/* Detector.parse without its Python steps: the candidate set by (first character, literals
 * present), its regex, the branch that matched, that format's record. What the definition does
 * on a path left here (a key not seen yet, a format without a plan, a time that is not one) is
 * left to it: NotImplemented. ``fast``: Detector.fast, key -> (regex.match, branch of each last
 * group name, plans) or None (no candidate). */
static PyObject *
detect(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyDict_CheckExact(args[0]) || !PyTuple_CheckExact(args[1]) || !PyUnicode_Check(args[2]) ||
        !PyDict_CheckExact(args[3])) {
        PyErr_SetString(PyExc_TypeError, "detect(fast, literals, line, zone_cache)");
        return NULL;
    }
    PyObject *fast = args[0], *literals = args[1], *line = args[2], *cache = args[3];
    if (PyUnicode_GET_LENGTH(line) == 0)
        Py_RETURN_NOTIMPLEMENTED; /* (the definition's line[0] raises) */
    Py_ssize_t nlit = PyTuple_GET_SIZE(literals);
    PyObject *key = PyTuple_New(1 + nlit);
    if (key == NULL)
        return NULL;
    PyObject *first = PyUnicode_FromOrdinal(PyUnicode_READ_CHAR(line, 0));
    if (first == NULL) {
        Py_DECREF(key);
        return NULL;
    }
    PyTuple_SET_ITEM(key, 0, first);
    for (Py_ssize_t i = 0; i < nlit; i++) {
        int has = PyUnicode_Contains(line, PyTuple_GET_ITEM(literals, i));
        if (has < 0) {
            Py_DECREF(key);
            return NULL;
        }
        PyObject *b = has ? Py_True : Py_False;
        Py_INCREF(b);
        PyTuple_SET_ITEM(key, 1 + i, b);
    }
    PyObject *found = PyDict_GetItemWithError(fast, key); /* borrowed */
    Py_DECREF(key);
    if (found == NULL) {
        if (PyErr_Occurred())
            return NULL;
        Py_RETURN_NOTIMPLEMENTED; /* a set not compiled yet */
    }
    if (found == Py_None)
        Py_RETURN_NONE;
    if (!PyTuple_CheckExact(found) || PyTuple_GET_SIZE(found) != 3) {
        PyErr_SetString(PyExc_TypeError, "detect: Detector.fast holds (match, branch, plans)");
        return NULL;
    }
    PyObject *m = PyObject_CallOneArg(PyTuple_GET_ITEM(found, 0), line);
    if (m == NULL || m == Py_None)
        return m;
    PyObject *result = NULL, *name = PyObject_GetAttr(m, S_LASTGROUP);
    if (name == NULL)
        goto done;
    PyObject *k = PyDict_GetItemWithError(PyTuple_GET_ITEM(found, 1), name); /* borrowed */
    Py_DECREF(name);
    if (k == NULL) {
        if (!PyErr_Occurred())
            result = Py_NewRef(Py_NotImplemented);
        goto done;
    }
    PyObject *plans = PyTuple_GET_ITEM(found, 2);
    Py_ssize_t at = PyLong_AsSsize_t(k);
    if (at == -1 && PyErr_Occurred())
        goto done;
    if (!PyTuple_CheckExact(plans) || at < 0 || at >= PyTuple_GET_SIZE(plans) ||
        PyTuple_GET_ITEM(plans, at) == Py_None) {
        result = Py_NewRef(Py_NotImplemented);
        goto done;
    }
    PyObject *targs[3] = {PyTuple_GET_ITEM(plans, at), m, cache};
    result = text_record(NULL, targs, 3);
    if (result == Py_None && at + 1 < PyTuple_GET_SIZE(plans)) { /* not a time: later formats may match */
        Py_DECREF(result);
        result = Py_NewRef(Py_NotImplemented);
    }
done:
    Py_DECREF(m);
    return result;
}

static PyMethodDef methods[] = {
    {"dump_json", dump_json, METH_O,
     "dump_json(obj) -> the JSON text render.dumps writes, or NotImplemented (ask the stdlib)"},
    {"flatten", flatten, METH_O, "flatten(obj) -> {'a.b': value} for {'a': {'b': value}}"},
    {"format_utc", format_utc, METH_O, "format_utc(ts) -> '2026-11-20T09:14:03.120+00:00' (None for None)"},
    {"render_plain", (PyCFunction)(void (*)(void))render_plain, METH_FASTCALL,
     "render_plain(ts, service, level, message, traceback) -> (text, offset position), or None"},
    {"access_tail", (PyCFunction)(void (*)(void))access_tail, METH_FASTCALL,
     "access_tail(rec, match): formats/hooks.py's access-tail hook"},
    {"level_from_status", (PyCFunction)(void (*)(void))level_from_status, METH_FASTCALL,
     "level_from_status(rec, match): formats/hooks.py's level-from-status hook"},
    {"structlog_extras", (PyCFunction)(void (*)(void))structlog_extras, METH_FASTCALL,
     "structlog_extras(rec, match): formats/hooks.py's structlog-extras hook"},
    {"oslo_context", (PyCFunction)(void (*)(void))oslo_context, METH_FASTCALL,
     "oslo_context(rec, match): formats/hooks.py's oslo-context hook"},
    {"rfc5424_parts", rfc5424_parts, METH_O,
     "rfc5424_parts(line) -> the groups of wrappers._RFC5424, None, or NotImplemented (ask the regex)"},
    {"iso_epoch", (PyCFunction)(void (*)(void))iso_epoch, METH_FASTCALL,
     "iso_epoch(text, zone_cache) -> the time of an RFC 3339 stamp, None, or NotImplemented (ask Python)"},
    {"json_record", (PyCFunction)(void (*)(void))json_record, METH_FASTCALL,
     "json_record(plan, flat, line, zone_cache) -> Record, or NotImplemented (ask Python)"},
    {"event_of", (PyCFunction)(void (*)(void))event_of, METH_FASTCALL,
     "event_of(fallback, Event, unset, rec, source, linenos, raws, service, index) -> stitch._event_of_py's Event"},
    {"detect", (PyCFunction)(void (*)(void))detect, METH_FASTCALL,
     "detect(fast, literals, line, zone_cache) -> engine.Detector.parse's Record, None, or NotImplemented"},
    {"text_record", (PyCFunction)(void (*)(void))text_record, METH_FASTCALL,
     "text_record(plan, match, zone_cache) -> Record, None (not a time) or NotImplemented (ask Python)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_records", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__records(void)
{
    if ((S_SPACE = PyUnicode_InternFromString(" ")) == NULL || (S_TWO = PyUnicode_InternFromString("  ")) == NULL ||
        (S_NL = PyUnicode_InternFromString("\n")) == NULL || (S_INDENT = PyUnicode_InternFromString("    ")) == NULL ||
        (S_DASH = PyUnicode_InternFromString("-")) == NULL || (S_EMPTY = PyUnicode_InternFromString("")) == NULL ||
        (A_STATUS = PyUnicode_InternFromString("status")) == NULL ||
        (A_DURATION = PyUnicode_InternFromString("duration")) == NULL ||
        (A_SERVICE = PyUnicode_InternFromString("service")) == NULL ||
        (A_STREAM = PyUnicode_InternFromString("stream")) == NULL ||
        (A_STREAM_MSG = PyUnicode_InternFromString("stream_msg")) == NULL ||
        (A_OPENS = PyUnicode_InternFromString("opens")) == NULL ||
        (S_ISO = PyUnicode_InternFromString("iso")) == NULL || (S_ERROR = PyUnicode_InternFromString("ERROR")) == NULL ||
        (S_SLASH = PyUnicode_InternFromString("/")) == NULL ||
        (S_LASTGROUP = PyUnicode_InternFromString("lastgroup")) == NULL || (F_ZERO = PyFloat_FromDouble(0.0)) == NULL || (S_LSTRIP = PyUnicode_InternFromString("lstrip")) == NULL)
        return NULL;
    struct { PyObject **at; const char *text; } names[] = {
        {&A_FIELDS, "fields"}, {&A_TS, "ts"}, {&A_TS_TEXT, "ts_text"}, {&A_MESSAGE, "message"}, {&A_LEVEL, "level"},
        {&K_REST, "rest"}, {&K_REQUEST_ID, "request_id"}, {&K_MSEC, "msec"}, {&K_REMOTE, "remote_addr"},
        {&K_REQUEST, "request"}, {&K_BYTES, "body_bytes_sent"}, {&K_CTX, "ctx"}, {&K_USER, "user"},
        {&K_TENANT, "tenant"}, {&K_CONTEXT, "context"}, {&S_WARNING, "WARNING"}, {&S_INFO, "INFO"}, {&S_DOT, "."},
        {&S_REQ, "req-"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((*names[i].at = PyUnicode_InternFromString(names[i].text)) == NULL)
            return NULL;
    for (Py_UCS4 c = 0; c < 256; c++)
        LATIN1_ESCAPE[c] = escape_of(c);
    return PyModule_Create(&module);
}
