"""Tests of the lede package against real processes. The driver
(tests/integration/python_client.py) installs the package, starts a broker, a worker and
lede-gateway, and passes their addresses in the environment:
LEDE_TEST_GATEWAY (URL), LEDE_TEST_TOKEN, LEDE_TEST_GATEWAY_NOWORKER (a gateway whose broker has
no worker), LEDE_TEST_BROKER (frontend), LEDE_TEST_BROKER_NOWORKER, LEDE_TEST_NO_ZMQ=1 (pyzmq
is hidden: the HTTP client must work and BrokerClient must say what it needs)."""
import os
import sys
import time
import unittest

if os.environ.get("LEDE_TEST_NO_ZMQ") == "1":
    sys.modules["zmq"] = None  # import zmq raises ImportError, as on a python3 without pyzmq

import lede  # noqa: E402

ARTICLE = ("The city council approved a new budget on Tuesday that doubles spending on public "
           "transport, officials said.\nThe plan adds 40 electric buses and extends two tram "
           "lines by 2027.\nCritics said the budget relies on optimistic tax forecasts.\n"
           "\"We cannot wait another decade,\" the mayor told reporters.\n"
           "The council voted 9 to 4 in favour of the plan after a six-hour debate.\n")
GW = os.environ.get("LEDE_TEST_GATEWAY")
TOKEN = os.environ.get("LEDE_TEST_TOKEN")


@unittest.skipUnless(GW, "LEDE_TEST_GATEWAY is not set (run through python_client.py)")
class HttpClient(unittest.TestCase):
    def setUp(self):
        self.c = lede.Client(GW, token=TOKEN)

    def tearDown(self):
        self.c.close()

    def test_summarize(self):
        s = self.c.summarize(ARTICLE, title="Budget", sentences=2, explain=True)
        self.assertIsInstance(s, lede.Summary)
        self.assertEqual(len(s.texts), 2)
        self.assertTrue(all(isinstance(t, str) for t in s.texts))
        body = ARTICLE.encode()
        for sent in s.sentences:
            self.assertIsInstance(sent["offset"], int)
            self.assertIsInstance(sent["length"], int)
            self.assertEqual(body[sent["offset"]:sent["offset"] + sent["length"]].decode(),
                             sent["text"])
        self.assertEqual(len(s.sentences), s["sentenceCount"])

    def test_batch_streams_in_order(self):
        reqs = [lede.request_of(ARTICLE, sentences=n, article_id="a%d" % n) for n in (1, 2, 3)]
        reqs.insert(2, {"body": ARTICLE, "noSuchField": 1})
        out = list(self.c.summarize_batch(iter(reqs)))
        self.assertEqual(len(out), 4)
        self.assertEqual([len(out[i].texts) for i in (0, 1, 3)], [1, 2, 3])
        self.assertEqual([out[i]["articleId"] for i in (0, 1, 3)], ["a1", "a2", "a3"])
        self.assertIsInstance(out[2], lede.InvalidArgument)

    def test_typed_errors(self):
        with self.assertRaises(lede.InvalidArgument) as e:
            self.c.summarize("   ")
        self.assertEqual(e.exception.http_status, 400)
        with self.assertRaises(ValueError):
            self.c.summarize(ARTICLE, sentences=2, words=10)
        if TOKEN:
            with self.assertRaises(lede.Unauthenticated) as e:
                lede.Client(GW, token="wrong").summarize(ARTICLE)
            self.assertEqual(e.exception.http_status, 401)
        with self.assertRaises(lede.DeadlineExceeded):
            self.c.summarize("The council met and approved the plan. " * 25000, deadline_ms=1)

    def test_no_gateway_fails_fast(self):
        t0 = time.monotonic()
        with self.assertRaises(lede.Unavailable):
            lede.Client("http://127.0.0.1:1").summarize(ARTICLE)
        self.assertLess(time.monotonic() - t0, 0.5)

    @unittest.skipUnless(os.environ.get("LEDE_TEST_GATEWAY_NOWORKER"), "no gateway without workers")
    def test_no_worker_fails_fast(self):
        t0 = time.monotonic()
        with self.assertRaises(lede.Unavailable) as e:
            with lede.Client(os.environ["LEDE_TEST_GATEWAY_NOWORKER"]) as c:
                c.summarize(ARTICLE)
        secs = time.monotonic() - t0
        print("\n  HTTP, no worker: %s after %.3f s" % (e.exception.code, secs))
        self.assertEqual(e.exception.http_status, 503)
        self.assertLess(secs, 0.5)


BROKER = os.environ.get("LEDE_TEST_BROKER")


@unittest.skipUnless(BROKER, "LEDE_TEST_BROKER is not set")
class ZeroMQClient(unittest.TestCase):
    def test_without_pyzmq_says_what_it_needs(self):
        if os.environ.get("LEDE_TEST_NO_ZMQ") != "1":
            self.skipTest("pyzmq is present in this run")
        with self.assertRaises(ImportError) as e:
            lede.BrokerClient(BROKER)
        self.assertIn("pyzmq", str(e.exception))

    def _client(self, ep, **kw):
        if os.environ.get("LEDE_TEST_NO_ZMQ") == "1":
            self.skipTest("pyzmq hidden in this run")
        return lede.BrokerClient(ep, **kw)

    def test_same_summary_as_http(self):
        with self._client(BROKER) as b:
            s = b.summarize(ARTICLE, sentences=2, explain=True)
        with lede.Client(GW, token=TOKEN) as c:
            h = c.summarize(ARTICLE, sentences=2, explain=True)
        self.assertEqual(s.texts, h.texts)
        self.assertEqual([x["offset"] for x in s.sentences], [x["offset"] for x in h.sentences])

    def test_no_broker_fails_fast(self):
        t0 = time.monotonic()
        with self._client("tcp://127.0.0.1:1") as b:
            with self.assertRaises(lede.Unavailable):
                b.summarize(ARTICLE)
        secs = time.monotonic() - t0
        print("\n  ZeroMQ, no broker: UNAVAILABLE after %.3f s" % secs)
        self.assertLess(secs, 2.0)

    def test_quiet_single_broker_gets_one_copy(self):
        """The only broker, connected, holds the call for many resend_s without a word (a busy
        worker): it is not sent the call again, and its late answer ends the call."""
        if os.environ.get("LEDE_TEST_NO_ZMQ") == "1":
            self.skipTest("pyzmq hidden in this run")
        import threading
        import zmq
        from lede import wire
        ctx = zmq.Context()
        fake = ctx.socket(zmq.ROUTER)
        fake.setsockopt(zmq.LINGER, 0)
        port = fake.bind_to_random_port("tcp://127.0.0.1")
        copies = []

        def broker():
            end = time.monotonic() + 10
            while time.monotonic() < end:
                if fake.poll(50):
                    ident, data = fake.recv_multipart()
                    copies.append(data)
                    if len(copies) == 1:
                        first = (ident, data)
                        answer_at = time.monotonic() + 1.5  # 7.5 x resend_s
                if copies and time.monotonic() >= answer_at:
                    call_id = next(v for f, _, v in wire._fields(first[1][6:]) if f == 1)
                    body = (wire._bytes(1, call_id) + wire._uint(2, 3) +
                            wire._bytes(3, b"worker says no") + wire._bytes(6, b"w1"))
                    fake.send_multipart([first[0], wire.frame(wire.REPLY, body)])
                    return

        t = threading.Thread(target=broker)
        t.start()
        try:
            with self._client("tcp://127.0.0.1:%d" % port, resend_s=0.2) as b:
                with self.assertRaises(lede.LedeError) as e:
                    b.summarize(ARTICLE)
        finally:
            t.join()
            fake.close(0)
            ctx.term()
        self.assertIn("worker says no", str(e.exception))
        self.assertEqual(len(copies), 1, "%d copies of the call reached the only broker"
                         % len(copies))

    @unittest.skipUnless(os.environ.get("LEDE_TEST_BROKER_NOWORKER"), "no broker without workers")
    def test_no_worker_fails_fast(self):
        with self._client(os.environ["LEDE_TEST_BROKER_NOWORKER"]) as b:
            time.sleep(0.2)  # connected
            t0 = time.monotonic()
            with self.assertRaises(lede.Unavailable):
                b.summarize(ARTICLE)
            secs = time.monotonic() - t0
        print("\n  ZeroMQ, no worker: UNAVAILABLE after %.3f s" % secs)
        self.assertLess(secs, 0.5)


class Statuses(unittest.TestCase):
    """The package's status list against lede.proto's Status enum (the repository's copy)."""

    def test_status_names_are_the_protos(self):
        import re
        proto = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                             "proto", "lede.proto")
        with open(proto, encoding="utf-8") as f:
            text = f.read()
        enum = re.search(r"enum Status \{(.*?)\}", text, re.S).group(1)
        values = {int(n): name for name, n in re.findall(r"(\w+) = (\d+);", enum)}
        self.assertEqual(lede.errors.STATUS_NAMES, [values[i] for i in range(len(values))])

    def test_each_class_is_found_by_its_code_and_number(self):
        for number, name in enumerate(lede.errors.STATUS_NAMES):
            e = lede.errors.error_for(number, "m")
            self.assertEqual(e.code, name)
            self.assertIs(type(e), lede.errors.error_for(name, "m").__class__)
        self.assertIsInstance(lede.errors.error_for(14, "m"), lede.Unavailable)
        self.assertIsInstance(lede.errors.error_for("INVALID_ARGUMENT", "m"), lede.InvalidArgument)
        self.assertIs(type(lede.errors.error_for("ABORTED", "m")), lede.LedeError)


if __name__ == "__main__":
    unittest.main()
