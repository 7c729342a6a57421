"""Shared pieces of the QuickFIX test harness scripts (initiator.py, acceptor.py).

Everything a script tells its driver goes to stdout as one JSON object per
line, flushed at once; nothing else may be printed to stdout.
"""

import datetime
import json
import os
import sys
import threading

SOH = "\x01"

_out_lock = threading.Lock()


def emit(obj):
    """Writes one JSON line to stdout and flushes it."""
    line = json.dumps(obj, separators=(",", ":"))
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def fix44_dictionary():
    """FIX44.xml as installed by the quickfix package (share/quickfix)."""
    candidates = [
        os.path.join(sys.prefix, "share", "quickfix", "FIX44.xml"),
        os.path.join(sys.base_prefix, "share", "quickfix", "FIX44.xml"),
        "/usr/share/quickfix/FIX44.xml",
    ]
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise FileNotFoundError("FIX44.xml not found in " + ", ".join(candidates))


def utc_now(precision=3):
    """A UTCTimestamp (YYYYMMDD-HH:MM:SS.sss) with 0, 3 or 6 decimals."""
    now = datetime.datetime.now(datetime.timezone.utc)
    text = now.strftime("%Y%m%d-%H:%M:%S")
    if precision == 3:
        text += ".%03d" % (now.microsecond // 1000)
    elif precision >= 6:
        text += ".%06d" % now.microsecond
    return text


def fields_of(raw):
    """[[tag, value], ...] in the order of the raw tag=value string."""
    fields = []
    for part in raw.split(SOH):
        if not part:
            continue
        tag, sep, value = part.partition("=")
        if not sep:
            continue
        try:
            fields.append([int(tag), value])
        except ValueError:
            fields.append([-1, part])
    return fields


def describe(message):
    """(msg_type, fields, raw) of a quickfix.Message."""
    raw = message.toString()
    fields = fields_of(raw)
    msg_type = next((v for t, v in fields if t == 35), "")
    return msg_type, fields, raw


def field_value(fields, tag):
    for t, v in fields:
        if t == tag:
            return v
    return None


def matches(fields, wanted):
    """True when every tag in `wanted` ({tag: value}) has that value."""
    for tag, value in wanted.items():
        if field_value(fields, int(tag)) != str(value):
            return False
    return True


# Standard header tags (FIX 4.4): a field with one of these goes into the header.
HEADER_TAGS = {
    8, 9, 35, 49, 56, 115, 128, 90, 91, 34, 50, 142, 57, 143, 116, 144,
    129, 145, 43, 97, 52, 122, 212, 213, 347, 369, 627, 628, 629, 630,
}


def stdin_commands(on_error):
    """Yields one parsed JSON command per stdin line; ends at EOF."""
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            command = json.loads(line)
            if not isinstance(command, dict):
                raise ValueError("a command is a JSON object")
        except ValueError as e:
            on_error("bad command line %r: %s" % (line, e))
            continue
        yield command
