#!/usr/bin/env python3
"""A scriptable QuickFIX (FIX 4.4) initiator, driven with JSON lines.

Run with the venv built by scripts/quickfix-venv.sh:

    target/quickfix-venv/bin/python gateway/tests/quickfix/initiator.py \
        --host 127.0.0.1 --port 15001 --sender CLIENT1 --target RTES \
        --store /tmp/s --log /tmp/l [--heartbeat 30] [--reset-on-logon Y|N] \
        [--username U --password P]

stdin: one JSON command per line. stdout: one JSON object per line, flushed.
Every command gets exactly one reply line, marked "reply": true; lines
without it are events that QuickFIX raised (see README.md beside this file).
EOF on stdin is the same as {"cmd":"quit"}.
"""

import argparse
import os
import sys
import threading
import time
import traceback

from harness_common import (
    HEADER_TAGS,
    describe,
    emit,
    field_value,
    fix44_dictionary,
    matches,
    stdin_commands,
    utc_now,
)

try:
    import quickfix as fix
except ImportError as e:  # pragma: no cover - reported to the driver
    emit({"event": "error", "text": "cannot import quickfix: %s (run "
          "scripts/quickfix-venv.sh and use its python)" % e})
    sys.exit(2)

MAX_QUEUE = 100_000


class Mailbox:
    """Messages seen in one direction, kept until a wait consumes them."""

    def __init__(self, cond):
        self.cond = cond
        self.items = []

    def push(self, item):
        with self.cond:
            self.items.append(item)
            if len(self.items) > MAX_QUEUE:
                del self.items[: len(self.items) - MAX_QUEUE]
            self.cond.notify_all()

    def take(self, msg_type, wanted):
        """First message matching (caller holds cond), removed; or None."""
        for i, item in enumerate(self.items):
            if msg_type is not None and item["msg_type"] != msg_type:
                continue
            if matches(item["fields"], wanted):
                return self.items.pop(i)
        return None


class App(fix.Application):
    def __init__(self, options):
        super().__init__()
        self.options = options
        self.cond = threading.Condition()
        self.inbox = Mailbox(self.cond)
        self.outbox = Mailbox(self.cond)
        self.session_id = None
        self.logons = 0
        self.logouts = 0
        # QuickFIX raises fromAdmin/fromApp before it increments the next
        # expected target MsgSeqNum: the number it will expect once the
        # message in a callback is done (see settle()).
        self.pending_target = 0

    # --- QuickFIX callbacks (run on QuickFIX's thread) ---------------------
    def onCreate(self, session_id):
        self.session_id = session_id
        emit({"event": "create", "session": session_id.toString()})

    def onLogon(self, session_id):
        with self.cond:
            self.logons += 1
            self.cond.notify_all()
        emit({"event": "logon", "session": session_id.toString()})

    def onLogout(self, session_id):
        with self.cond:
            self.logouts += 1
            self.cond.notify_all()
        emit({"event": "logout", "session": session_id.toString()})

    def toAdmin(self, message, session_id):
        try:
            msg_type = message.getHeader().getField(35)
            if msg_type == "A":
                if self.options.username is not None:
                    message.setField(553, self.options.username)
                if self.options.password is not None:
                    message.setField(554, self.options.password)
            self._record("sent", self.outbox, message, admin=True)
        except Exception:
            emit({"event": "error", "text": "toAdmin: " + traceback.format_exc()})

    def toApp(self, message, session_id):
        try:
            self._record("sent", self.outbox, message, admin=False)
        except Exception:
            emit({"event": "error", "text": "toApp: " + traceback.format_exc()})

    def fromAdmin(self, message, session_id):
        try:
            self._record("received", self.inbox, message, admin=True)
        except Exception:
            emit({"event": "error", "text": "fromAdmin: " + traceback.format_exc()})

    def fromApp(self, message, session_id):
        try:
            self._record("received", self.inbox, message, admin=False)
        except Exception:
            emit({"event": "error", "text": "fromApp: " + traceback.format_exc()})

    def _record(self, event, box, message, admin):
        msg_type, fields, raw = describe(message)
        if event == "received":
            seq = field_value(fields, 34)
            if seq is not None and seq.isdigit():
                with self.cond:
                    self.pending_target = max(self.pending_target, int(seq) + 1)
        item = {"msg_type": msg_type, "fields": fields, "raw": raw, "admin": admin}
        emit({"event": event, "msg_type": msg_type, "admin": admin,
              "fields": fields, "raw": raw})
        box.push(item)

    # --- helpers for commands ---------------------------------------------
    def settle(self, timeout=2.0):
        """Waits (bounded) until QuickFIX has finished with every message it
        handed us, so that the store's next target number counts them."""
        session = self.session()
        deadline = time.monotonic() + timeout
        while (session.getExpectedTargetNum() < self.pending_target
               and time.monotonic() < deadline):
            time.sleep(0.002)
        return session

    def session(self):
        if self.session_id is None:
            raise RuntimeError("no session created yet")
        session = fix.Session.lookupSession(self.session_id)
        if session is None:
            raise RuntimeError("session %s not found" % self.session_id.toString())
        return session


def reply(cmd, event, **extra):
    line = {"event": event, "reply": True, "cmd": cmd}
    line.update(extra)
    emit(line)


def wait_until(app, predicate, timeout):
    """Waits (bounded) until predicate() holds; predicate runs under cond."""
    deadline = time.monotonic() + timeout
    with app.cond:
        while True:
            result = predicate()
            if result:
                return result
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            app.cond.wait(min(left, 0.2))


def build_message(command, precision):
    msg_type = command.get("msg_type")
    if not msg_type:
        raise ValueError("send needs msg_type")
    message = fix.Message()
    header = message.getHeader()
    header.setField(fix.BeginString("FIX.4.4"))
    header.setField(fix.MsgType(str(msg_type)))
    for pair in command.get("header", []):
        header.setField(int(pair[0]), value_of(pair[1], precision))
    for pair in command.get("fields", []):
        tag, value = int(pair[0]), value_of(pair[1], precision)
        if tag in HEADER_TAGS:
            header.setField(tag, value)
        else:
            message.setField(tag, value)
    return message


def value_of(value, precision):
    """JSON value -> FIX string; "$now" is the current UTC timestamp."""
    if value == "$now":
        return utc_now(precision)
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


def handle(app, initiator, command, options):
    """Runs one command; returns False to stop."""
    cmd = command.get("cmd")
    timeout = float(command.get("timeout", 10))
    if cmd == "wait_logon":
        ok = wait_until(app, lambda: app.session_id is not None
                        and fix.Session.lookupSession(app.session_id).isLoggedOn(),
                        timeout)
        if ok:
            reply(cmd, "logged_on")
        else:
            reply(cmd, "timeout", text="not logged on within %ss" % timeout)
    elif cmd == "wait_logout":
        ok = wait_until(app, lambda: app.session_id is not None
                        and not fix.Session.lookupSession(app.session_id).isLoggedOn(),
                        timeout)
        if ok:
            reply(cmd, "logged_out")
        else:
            reply(cmd, "timeout", text="still logged on after %ss" % timeout)
    elif cmd == "send":
        message = build_message(command, options.timestamp_precision)
        session = app.session()
        logged_on = session.isLoggedOn()
        if not fix.Session.sendToTarget(message, app.session_id):
            reply(cmd, "error", text="sendToTarget returned false")
        else:
            seq = None
            try:
                seq = int(message.getHeader().getField(34))
            except Exception:
                pass
            reply(cmd, "sent_ok", seq=seq, logged_on=logged_on)
    elif cmd == "wait":
        msg_type = command.get("msg_type")
        wanted = command.get("match", {})
        box = app.outbox if command.get("direction", "in") == "out" else app.inbox
        item = wait_until(app, lambda: box.take(msg_type, wanted), timeout)
        if item:
            reply(cmd, "message", msg_type=item["msg_type"], admin=item["admin"],
                  fields=item["fields"], raw=item["raw"])
        else:
            reply(cmd, "timeout", text="no %s message %s matching %s within %ss" % (
                command.get("direction", "in"), msg_type or "(any type)", wanted, timeout))
    elif cmd == "clear":
        with app.cond:
            dropped = len(app.inbox.items) + len(app.outbox.items)
            app.inbox.items.clear()
            app.outbox.items.clear()
        reply(cmd, "ok", dropped=dropped)
    elif cmd == "logout":
        app.session().logout(str(command.get("text", "")))
        reply(cmd, "ok")
    elif cmd == "logon":
        app.session().logon()
        reply(cmd, "ok")
    elif cmd == "disconnect":
        app.session().disconnect()
        reply(cmd, "ok")
    elif cmd == "seqnums":
        session = app.settle()
        reply(cmd, "seqnums", next_sender=session.getExpectedSenderNum(),
              next_target=session.getExpectedTargetNum())
    elif cmd == "set_next_sender_seq":
        app.session().setNextSenderMsgSeqNum(int(command["seq"]))
        reply(cmd, "ok")
    elif cmd == "set_next_target_seq":
        session = app.settle()
        with app.cond:
            session.setNextTargetMsgSeqNum(int(command["seq"]))
            app.pending_target = 0
        reply(cmd, "ok")
    elif cmd == "status":
        session = app.settle()
        reply(cmd, "status", logged_on=session.isLoggedOn(),
              enabled=session.isEnabled(), logons=app.logons, logouts=app.logouts,
              next_sender=session.getExpectedSenderNum(),
              next_target=session.getExpectedTargetNum())
    elif cmd == "quit":
        return False
    else:
        reply(cmd, "error", text="unknown command %r" % cmd)
    return True


def write_settings(options):
    os.makedirs(options.store, exist_ok=True)
    os.makedirs(options.log, exist_ok=True)
    lines = [
        "[DEFAULT]",
        "ConnectionType=initiator",
        "ReconnectInterval=%d" % options.reconnect_interval,
        "FileStorePath=%s" % options.store,
        "FileLogPath=%s" % options.log,
        "NonStopSession=Y",
        "UseDataDictionary=Y",
        "DataDictionary=%s" % options.data_dictionary,
        "ValidateUserDefinedFields=%s" % options.validate_user_defined_fields,
        "AllowUnknownMsgFields=%s" % options.allow_unknown_msg_fields,
        "TimestampPrecision=%d" % options.timestamp_precision,
        "PersistMessages=Y",
        "LogonTimeout=%d" % options.logon_timeout,
        "LogoutTimeout=%d" % options.logout_timeout,
        "SocketNodelay=Y",
        "",
        "[SESSION]",
        "BeginString=FIX.4.4",
        "SenderCompID=%s" % options.sender,
        "TargetCompID=%s" % options.target,
        "SocketConnectHost=%s" % options.host,
        "SocketConnectPort=%d" % options.port,
        "HeartBtInt=%d" % options.heartbeat,
        "ResetOnLogon=%s" % options.reset_on_logon,
        "",
    ]
    path = os.path.join(options.log, "initiator.cfg")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path


def yes_no(text):
    value = text.upper()
    if value not in ("Y", "N"):
        raise argparse.ArgumentTypeError("Y or N")
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sender", required=True, help="our SenderCompID")
    parser.add_argument("--target", default="RTES", help="the acceptor's CompID")
    parser.add_argument("--heartbeat", type=int, default=30, help="HeartBtInt (s)")
    parser.add_argument("--store", required=True, help="FileStore directory")
    parser.add_argument("--log", required=True, help="FileLog directory")
    parser.add_argument("--reset-on-logon", type=yes_no, default="N")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--data-dictionary", default=None)
    parser.add_argument("--validate-user-defined-fields", type=yes_no, default="Y")
    parser.add_argument("--allow-unknown-msg-fields", type=yes_no, default="N")
    parser.add_argument("--timestamp-precision", type=int, default=3, choices=[0, 3, 6, 9])
    parser.add_argument("--reconnect-interval", type=int, default=1)
    parser.add_argument("--logon-timeout", type=int, default=10)
    parser.add_argument("--logout-timeout", type=int, default=2)
    options = parser.parse_args()
    if options.data_dictionary is None:
        options.data_dictionary = fix44_dictionary()

    def error(text):
        emit({"event": "error", "text": text})

    try:
        config = write_settings(options)
        settings = fix.SessionSettings(config)
        app = App(options)
        store = fix.FileStoreFactory(settings)
        logs = fix.FileLogFactory(settings)
        initiator = fix.SocketInitiator(app, store, settings, logs)
        initiator.start()
    except Exception as e:
        error("cannot start the initiator: %s" % e)
        sys.stdout.flush()
        os._exit(3)

    emit({"event": "started", "role": "initiator", "pid": os.getpid(),
          "session": app.session_id.toString() if app.session_id else None,
          "config": config, "data_dictionary": options.data_dictionary,
          "quickfix": getattr(fix, "__version__", None)})

    for command in stdin_commands(error):
        try:
            if not handle(app, initiator, command, options):
                break
        except Exception as e:
            reply(command.get("cmd"), "error", text="%s: %s" % (type(e).__name__, e))

    # Log out politely, but never hang: stop() waits for the Logout reply.
    stopper = threading.Thread(target=initiator.stop, daemon=True)
    stopper.start()
    stopper.join(options.logout_timeout + 3)
    emit({"event": "bye", "reply": True, "cmd": "quit"})
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
