#!/usr/bin/python3
"""A real gRPC peer (Debian's python3-grpcio) for the interop tests of our C# gRPC stack (grpc-dotnet).

The messages come from interop.proto's serialized FileDescriptorProto (written by the C# test), so no
generated python code or grpcio-tools is needed.

  peer.py server DESCRIPTOR            serves agentops.testing.Interop on 127.0.0.1:0, prints "PORT n"
  peer.py client DESCRIPTOR HOST:PORT  runs every case against a server, prints one JSON object per case
"""
import hashlib
import json
import queue
import sys
import time
from concurrent import futures

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

SERVICE = "agentops.testing.Interop"
MAX = 8 * 1024 * 1024
OPTIONS = [("grpc.max_receive_message_length", MAX), ("grpc.max_send_message_length", MAX)]


def load_messages(path):
    with open(path, "rb") as f:
        fdp = descriptor_pb2.FileDescriptorProto.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)

    def cls(name):
        d = pool.FindMessageTypeByName("agentops.testing." + name)
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(d)
        return message_factory.MessageFactory(pool).GetPrototype(d)

    return {n: cls(n) for n in ("Payload", "Summary", "ExpandRequest", "FailRequest")}


def status_by_value(value):
    for c in grpc.StatusCode:
        if c.value[0] == value:
            return c
    raise ValueError("unknown status code %d" % value)


def serve(descriptor):
    m = load_messages(descriptor)
    P, S, E, F = m["Payload"], m["Summary"], m["ExpandRequest"], m["FailRequest"]

    def echo(request, context):
        md = [(k, v) for k, v in context.invocation_metadata() if k.startswith("x-echo")]
        if md:
            context.send_initial_metadata(md)
            context.set_trailing_metadata([(k[:-4] + "-t-bin" if k.endswith("-bin") else k + "-t", v) for k, v in md])
        return request

    def collect(requests, context):
        s = S(in_order=True)
        for p in requests:
            if p.index != s.count:
                s.in_order = False
            s.count += 1
            s.total_bytes += len(p.body)
        return s

    def expand(request, context):
        body = bytes(request.size)
        for i in range(request.count):
            yield P(index=i, body=body)

    def fail(request, context):
        context.abort(status_by_value(request.code), request.message)

    def sleep(request, context):
        end = time.monotonic() + request.index / 1000.0
        while time.monotonic() < end:
            if not context.is_active():
                return P()
            time.sleep(0.01)
        return request

    def chat(requests, context):
        for p in requests:
            yield P(index=p.index, text=p.text.upper(), body=bytes(reversed(p.body)))

    h = grpc.method_handlers_generic_handler(SERVICE, {
        "Echo": grpc.unary_unary_rpc_method_handler(echo, P.FromString, P.SerializeToString),
        "Collect": grpc.stream_unary_rpc_method_handler(collect, P.FromString, S.SerializeToString),
        "Expand": grpc.unary_stream_rpc_method_handler(expand, E.FromString, P.SerializeToString),
        "Fail": grpc.unary_unary_rpc_method_handler(fail, F.FromString, P.SerializeToString),
        "Sleep": grpc.unary_unary_rpc_method_handler(sleep, P.FromString, P.SerializeToString),
        "Chat": grpc.stream_stream_rpc_method_handler(chat, P.FromString, P.SerializeToString),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), handlers=[h], options=OPTIONS)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("PORT %d" % port, flush=True)
    sys.stdin.read()  # the test closes stdin (or kills us) to stop the server
    server.stop(0)


def run_client(descriptor, target):
    m = load_messages(descriptor)
    P, S, E, F = m["Payload"], m["Summary"], m["ExpandRequest"], m["FailRequest"]
    ch = grpc.insecure_channel(target, options=OPTIONS)
    grpc.channel_ready_future(ch).result(timeout=30)
    path = "/" + SERVICE + "/"
    echo = ch.unary_unary(path + "Echo", P.SerializeToString, P.FromString)
    collect = ch.stream_unary(path + "Collect", P.SerializeToString, S.FromString)
    expand = ch.unary_stream(path + "Expand", E.SerializeToString, P.FromString)
    fail = ch.unary_unary(path + "Fail", F.SerializeToString, P.FromString)
    sleep = ch.unary_unary(path + "Sleep", P.SerializeToString, P.FromString)
    chat = ch.stream_stream(path + "Chat", P.SerializeToString, P.FromString)

    def out(case, **kw):
        print(json.dumps(dict(case=case, **kw), ensure_ascii=True), flush=True)

    resp, call = echo.with_call(P(index=7, text="h\u00e9llo"), timeout=30,
                                metadata=[("x-echo-text", "hello"), ("x-echo-data-bin", b"\x00\x01\xff")])
    out("unary", index=resp.index, text=resp.text,
        headers={k: (v.hex() if isinstance(v, bytes) else v) for k, v in call.initial_metadata()},
        trailers={k: (v.hex() if isinstance(v, bytes) else v) for k, v in call.trailing_metadata()})

    s = collect(iter([P(index=i, body=bytes(i % 300)) for i in range(1000)]), timeout=60)
    out("client_stream", count=s.count, in_order=s.in_order, total_bytes=s.total_bytes)

    got = [(p.index, len(p.body)) for p in expand(E(count=500, size=100), timeout=60)]
    out("server_stream", count=len(got), in_order=[i for i, _ in got] == list(range(500)), sizes=sorted(set(n for _, n in got)))

    # Bidirectional, in lockstep: each request goes only after the answer to the one before it arrived.
    answered = queue.Queue()

    def requests():
        for i in range(100):
            yield P(index=i, text="h\u00e9llo %d" % i, body=bytes([1, 2, i]))
            answered.get(timeout=30)

    got = []
    for r in chat(requests(), timeout=60):
        got.append(r.index == len(got) and r.text == ("H\u00c9LLO %d" % len(got)) and r.body == bytes([len(got), 2, 1]))
        answered.put(True)
    out("bidi", count=len(got), all_answered=all(got))

    big = bytes((i * 7919) & 0xFF for i in range(4 * 1024 * 1024))
    r = echo(P(body=big), timeout=60)
    out("big", sent=hashlib.sha256(big).hexdigest(), received=hashlib.sha256(r.body).hexdigest(), length=len(r.body))

    for code in range(1, 17):
        msg = "\u00e9chec %d \u2014 \u5931\u8d25 100%% \t\u2713" % code
        try:
            fail(F(code=code, message=msg), timeout=30)
            out("status", sent=code, received=0, message="")
        except grpc.RpcError as e:
            out("status", sent=code, received=e.code().value[0], message=e.details())

    t0 = time.monotonic()
    try:
        sleep(P(index=30000), timeout=0.3)
        out("deadline", code=0, seconds=time.monotonic() - t0)
    except grpc.RpcError as e:
        out("deadline", code=e.code().value[0], seconds=time.monotonic() - t0)

    try:
        ch.unary_unary("/" + SERVICE + "/NoSuchMethod", P.SerializeToString, P.FromString)(P(), timeout=30)
        out("unimplemented", code=0)
    except grpc.RpcError as e:
        out("unimplemented", code=e.code().value[0])


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(sys.argv[2])
    else:
        run_client(sys.argv[2], sys.argv[3])
