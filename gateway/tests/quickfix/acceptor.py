#!/usr/bin/env python3
"""A minimal QuickFIX (FIX 4.4) acceptor: a stand-in exchange.

It tests initiator.py end to end, and is the "plain QuickFIX acceptor"
baseline for load comparisons with RTES.

    target/quickfix-venv/bin/python gateway/tests/quickfix/acceptor.py \
        --port 0 --sender RTES --targets CLIENT1,CLIENT2 --store DIR --log DIR \
        [--username U --password P] [--quiet]

--port 0 picks a free port (QuickFIX itself cannot serve port 0); the first
stdout line is
{"event":"listening","port":N,...}. Then events (logon, logout, received,
sent) as JSON lines unless --quiet, which keeps only logon/logout/errors
(for load runs). stdin: {"cmd":"quit"} or EOF stops it; {"cmd":"stats"}
replies with message counts.

Answers, per session (orders live in memory):
  D NewOrderSingle          -> 8 ExecutionReport New (150=0, 39=0)
  F OrderCancelRequest      -> 8 Canceled (150=4, 39=4), or 9 OrderCancelReject
                               (434=1, 102=1) when OrigClOrdID is unknown
  G OrderCancelReplaceReq.  -> 8 Replaced (150=5, 39=0), or 9 (434=2)
  H OrderStatusRequest      -> 8 Order status (150=I)
  q OrderMassCancelRequest  -> 8 Canceled for each open order, then
                               r OrderMassCancelReport (531=7 / 531=1)
  anything else             -> j BusinessMessageReject (380=3)
With --username/--password, a Logon whose 553/554 differ is refused with a
Logout carrying Text "invalid credentials".
"""

import argparse
import itertools
import os
import socket
import sys
import threading
import traceback

from harness_common import describe, emit, fix44_dictionary, stdin_commands, utc_now

try:
    import quickfix as fix
except ImportError as e:  # pragma: no cover
    emit({"event": "error", "text": "cannot import quickfix: %s" % e})
    sys.exit(2)


def get(message, tag, default=None):
    try:
        return message.getField(tag)
    except Exception:
        return default


class Exchange(fix.Application):
    def __init__(self, options):
        super().__init__()
        self.options = options
        self.orders = {}  # (session, ClOrdID) -> dict
        self.ids = itertools.count(1)
        self.lock = threading.Lock()
        self.received = 0
        self.sent = 0

    def onCreate(self, session_id):
        pass

    def onLogon(self, session_id):
        emit({"event": "logon", "session": session_id.toString()})

    def onLogout(self, session_id):
        emit({"event": "logout", "session": session_id.toString()})

    def toAdmin(self, message, session_id):
        self._trace("sent", message)

    def fromAdmin(self, message, session_id):
        self._trace("received", message)
        if message.getHeader().getField(35) == "A" and self.options.username is not None:
            if (get(message, 553) != self.options.username
                    or get(message, 554) != self.options.password):
                emit({"event": "logon_refused", "session": session_id.toString()})
                raise fix.RejectLogon("invalid credentials")

    def toApp(self, message, session_id):
        self._trace("sent", message)

    def fromApp(self, message, session_id):
        self._trace("received", message)
        try:
            self._handle(message, session_id)
        except Exception:
            emit({"event": "error", "text": traceback.format_exc()})

    def _trace(self, event, message):
        if event == "received":
            self.received += 1
        else:
            self.sent += 1
        if not self.options.quiet:
            msg_type, fields, raw = describe(message)
            emit({"event": event, "msg_type": msg_type, "fields": fields, "raw": raw})

    # --- the order logic ---------------------------------------------------
    def _report(self, session_id, order, exec_type, ord_status, extra=()):
        report = fix.Message()
        report.getHeader().setField(fix.MsgType("8"))
        report.setField(37, order["order_id"])
        report.setField(17, "E%d" % next(self.ids))
        report.setField(150, exec_type)
        report.setField(39, ord_status)
        report.setField(11, order["cl_ord_id"])
        report.setField(55, order["symbol"])
        report.setField(54, order["side"])
        report.setField(38, order["qty"])
        report.setField(40, order["ord_type"])
        if order.get("price") is not None:
            report.setField(44, order["price"])
        leaves = "0" if ord_status in ("4", "2", "8") else order["qty"]
        report.setField(151, leaves)
        report.setField(14, "0")
        report.setField(6, "0")
        report.setField(60, utc_timestamp())
        for tag, value in extra:
            report.setField(tag, value)
        self._send(report, session_id)

    def _cancel_reject(self, session_id, cl_ord_id, orig, response_to, order):
        reject = fix.Message()
        reject.getHeader().setField(fix.MsgType("9"))
        reject.setField(37, order["order_id"] if order else "NONE")
        reject.setField(11, cl_ord_id)
        reject.setField(41, orig)
        reject.setField(39, order["status"] if order else "8")
        reject.setField(434, response_to)
        reject.setField(102, "1")
        reject.setField(58, "unknown order")
        self._send(reject, session_id)

    def _send(self, message, session_id):
        fix.Session.sendToTarget(message, session_id)

    def _handle(self, message, session_id):
        msg_type = message.getHeader().getField(35)
        key = session_id.toString()
        if msg_type == "D":
            cl_ord_id = message.getField(11)
            order = {
                "order_id": "O%d" % next(self.ids),
                "cl_ord_id": cl_ord_id,
                "symbol": get(message, 55, "?"),
                "side": message.getField(54),
                "qty": get(message, 38, "0"),
                "ord_type": message.getField(40),
                "price": get(message, 44),
                "status": "0",
            }
            with self.lock:
                self.orders[(key, cl_ord_id)] = order
            self._report(session_id, order, "0", "0")
        elif msg_type in ("F", "G"):
            cl_ord_id = message.getField(11)
            orig = message.getField(41)
            with self.lock:
                order = self.orders.pop((key, orig), None)
            if order is None:
                self._cancel_reject(session_id, cl_ord_id, orig,
                                    "1" if msg_type == "F" else "2", None)
                return
            order = dict(order, cl_ord_id=cl_ord_id)
            if msg_type == "F":
                order["status"] = "4"
                self._report(session_id, order, "4", "4", [(41, orig)])
            else:
                order["qty"] = get(message, 38, order["qty"])
                order["price"] = get(message, 44, order["price"])
                with self.lock:
                    self.orders[(key, cl_ord_id)] = order
                self._report(session_id, order, "5", "0", [(41, orig)])
        elif msg_type == "H":
            cl_ord_id = message.getField(11)
            with self.lock:
                order = self.orders.get((key, cl_ord_id))
            if order is None:
                order = {"order_id": "NONE", "cl_ord_id": cl_ord_id,
                         "symbol": get(message, 55, "?"), "side": message.getField(54),
                         "qty": "0", "ord_type": "2", "status": "8"}
                self._report(session_id, order, "I", "8")
            else:
                self._report(session_id, order, "I", order["status"])
        elif msg_type == "q":
            cl_ord_id = message.getField(11)
            request_type = message.getField(530)
            symbol = get(message, 55)
            with self.lock:
                mine = [k for k, o in self.orders.items() if k[0] == key
                        and (request_type == "7" or o["symbol"] == symbol)]
                canceled = [self.orders.pop(k) for k in mine]
            for order in canceled:
                order["status"] = "4"
                self._report(session_id, order, "4", "4")
            report = fix.Message()
            report.getHeader().setField(fix.MsgType("r"))
            report.setField(11, cl_ord_id)
            report.setField(37, "M%d" % next(self.ids))
            report.setField(530, request_type)
            report.setField(531, request_type if request_type in ("1", "7") else "0")
            report.setField(533, str(len(canceled)))
            self._send(report, session_id)
        else:
            reject = fix.Message()
            reject.getHeader().setField(fix.MsgType("j"))
            reject.setField(45, message.getHeader().getField(34))
            reject.setField(372, msg_type)
            reject.setField(380, "3")
            reject.setField(58, "unsupported message type")
            self._send(reject, session_id)


def utc_timestamp():
    return utc_now(3)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_settings(options, port):
    lines = [
        "[DEFAULT]",
        "ConnectionType=acceptor",
        "SocketAcceptPort=%d" % port,
        "FileStorePath=%s" % options.store,
        "FileLogPath=%s" % options.log,
        "NonStopSession=Y",
        "UseDataDictionary=Y",
        "DataDictionary=%s" % options.data_dictionary,
        "TimestampPrecision=3",
        "SocketNodelay=Y",
        "SocketReuseAddress=Y",
        "",
    ]
    for target in options.targets.split(","):
        lines += ["[SESSION]", "BeginString=FIX.4.4",
                  "SenderCompID=%s" % options.sender,
                  "TargetCompID=%s" % target.strip(), ""]
    config = os.path.join(options.log, "acceptor.cfg")
    with open(config, "w") as f:
        f.write("\n".join(lines))
    return config


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="0: an ephemeral port")
    parser.add_argument("--sender", default="RTES", help="our SenderCompID")
    parser.add_argument("--targets", required=True,
                        help="comma-separated client CompIDs (TargetCompID of each session)")
    parser.add_argument("--store", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--data-dictionary", default=None)
    parser.add_argument("--memory-store", action="store_true",
                        help="MemoryStore instead of FileStore (load runs)")
    parser.add_argument("--no-log", action="store_true", help="no FileLog (load runs)")
    parser.add_argument("--quiet", action="store_true",
                        help="no per-message events on stdout (load runs)")
    options = parser.parse_args()
    if options.data_dictionary is None:
        options.data_dictionary = fix44_dictionary()

    os.makedirs(options.store, exist_ok=True)
    os.makedirs(options.log, exist_ok=True)
    app = Exchange(options)
    # QuickFIX 1.16.0 cannot serve SocketAcceptPort=0: SocketAcceptor keys its
    # sessions by the bound port but looks them up by the configured one (0),
    # so every Logon is dropped with "Session not found". For --port 0 we pick
    # a free port ourselves (bind to 0, read it, close) and retry on a lost race.
    attempts = 20 if options.port == 0 else 1
    for attempt in range(attempts):
        port = options.port or free_port()
        config = write_settings(options, port)
        try:
            settings = fix.SessionSettings(config)
            store = (fix.MemoryStoreFactory() if options.memory_store
                     else fix.FileStoreFactory(settings))
            if options.no_log:
                acceptor = fix.SocketAcceptor(app, store, settings)
            else:
                acceptor = fix.SocketAcceptor(app, store, settings,
                                              fix.FileLogFactory(settings))
            acceptor.start()
            break
        except Exception as e:
            if attempt + 1 == attempts:
                emit({"event": "error", "text": "cannot start the acceptor on port %d: %s"
                      % (port, e)})
                os._exit(3)
    emit({"event": "listening", "port": port, "pid": os.getpid(), "config": config,
          "data_dictionary": options.data_dictionary})

    def error(text):
        emit({"event": "error", "text": text})

    for command in stdin_commands(error):
        cmd = command.get("cmd")
        if cmd == "quit":
            break
        if cmd == "stats":
            emit({"event": "stats", "reply": True, "cmd": cmd,
                  "received": app.received, "sent": app.sent})
        else:
            emit({"event": "error", "reply": True, "cmd": cmd,
                  "text": "unknown command %r" % cmd})

    stopper = threading.Thread(target=acceptor.stop, daemon=True)
    stopper.start()
    stopper.join(5)
    emit({"event": "bye", "reply": True, "cmd": "quit"})
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
