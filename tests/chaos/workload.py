"""What a chaos scenario sends, and how it counts what was sent, lost and repeated.

Outbound: result notices (template messages) and customer-service replies,
written to the outbox as the console's confirm and reply would. Inbound:
citizens leave a suggestion through the emulator's phone (two messages:
``建议`` then the text), each message posted as WeChat does (three copies
of one ``MsgId`` when an answer is late or missing: the emulator's
``retry``), and resent as a person would when the phone showed
"该公众号暂时无法提供服务" (going back to ``建议`` if the dialogue had ended).

Lost: an outbox row not ``sent`` at the end, a recipient whose phone got
nothing, a citizen whose suggestion is not stored. Repeated: a message the
emulator recorded twice for one recipient (its ``client_msg_id`` dedup has
already absorbed what WeChat would), a suggestion stored twice. A
customer-service text (WeChat offers no idempotency id for those) that
arrived twice on a row flagged ``possibly_resent`` is the documented window
(docs/delivery.md): counted apart as ``window_repeats``, not in ``repeated``;
an unflagged double, or a third copy, is ``repeated``.
"""

from __future__ import annotations

import collections
import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from models import Citizen, OutboxMessage, Suggestion
from services.messaging import outbox

IDEA = "建议在政务服务大厅增加老年人专用窗口，并提供大字版办事指南，方便老年人办事。"
OUTBOX = OutboxMessage.__table__


@dataclass
class Figures:
    """One scenario's outcome, as printed and written to docs/reliability.md."""

    scenario: str
    outbound: int = 0
    delivered: int = 0
    inbound: int = 0
    stored: int = 0
    lost: int = 0
    repeated: int = 0
    possibly_resent: int = 0
    window_repeats: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        return (f"{self.scenario}: sent {self.outbound} messages (delivered {self.delivered}) and "
                f"{self.inbound} suggestions (stored {self.stored}); lost {self.lost}, repeated {self.repeated} "
                f"(customer-service texts twice in the flagged window {self.window_repeats}, rows flagged "
                f"possibly re-sent {self.possibly_resent}); {self.seconds:.0f} s")

    def as_dict(self) -> dict:
        return asdict(self)


class Workload:
    """The messages of one scenario, against one :class:`~tests.chaos.stack.ProductionStack`."""

    def __init__(self, stack, notices: int = 80, texts: int = 20, citizens: int = 40) -> None:
        self.stack = stack
        self.notified = [f"o_notice_{n:03d}" for n in range(notices)]
        self.texted = [f"o_text_{n:03d}" for n in range(texts)]
        self.citizens = [f"o_citizen_{n:03d}" for n in range(citizens)]
        self.engine = create_engine(stack.database_url)
        self.resends = 0
        self.last_seen: dict[str, str] = {}  # what a citizen's phone showed when a step had to be resent
        self._lock = threading.Lock()

    # --- outbound ----------------------------------------------------------------------------------

    def queue_outbound(self) -> None:
        """The outbox rows, committed at once (the delivery starts at the next dispatch)."""
        for openid in self.notified:
            self._admin_user(openid)
        for openid in self.texted:
            self._admin_user(openid, interaction="message")
        now = dt.datetime.now(dt.UTC)
        with Session(self.engine) as session:
            for openid in self.notified:
                outbox.enqueue(session, openid, "selection_result", "event:chaos", {
                    "template": "selection", "data": {"title": "政务开放日·不动产登记", "time": "2026年1月8日 09:30",
                                                      "place": "清源街道政务服务大厅", "result": "已入选",
                                                      "note": "请携带身份证按时签到"}}, now)
            for openid in self.texted:
                session.add(Citizen(openid=openid, following=True, created_at=now, last_interaction_at=now))
                session.flush()
                outbox.enqueue(session, openid, "suggestion_reply", f"suggestion:{openid}",
                               {"text": "您的意见建议已收到，我们将认真研究办理。"}, now, channel="custom")
            session.commit()

    def _admin_user(self, openid: str, **fields) -> None:
        requests.post(self.stack.emulator_base + "/_admin/users", json={"openid": openid, **fields},
                      timeout=10).raise_for_status()

    def delivered(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(OUTBOX).where(OUTBOX.c.status == "sent"))

    # --- inbound -----------------------------------------------------------------------------------

    def say(self, openid: str, text: str, answers: dict[str, str]) -> str:
        """Send ``text`` once (as WeChat would, with its retries); the name of the answer the phone showed."""
        try:
            answer = requests.post(self.stack.emulator_base + "/_phone/send", timeout=60, json={
                "openid": openid, "type": "text", "content": text, "retry": True}).json()
            replies = [str(reply.get("content", "")) for reply in answer.get("replies") or []]
        except (requests.RequestException, ValueError) as error:
            replies = [type(error).__name__]
        for name, start in answers.items():
            if any(reply.startswith(start) for reply in replies):
                return name
        with self._lock:
            self.resends += 1
            self.last_seen[openid] = f"{text[:4]}… → {' / '.join(reply[:60] for reply in replies)}"
        time.sleep(1)
        return ""

    def suggest(self, openid: str, deadline: float) -> bool:
        """One citizen's suggestion: ``建议``, then the text (typed straight away: a general suggestion)."""
        step = "start"
        while time.monotonic() < deadline:
            if step == "start":
                got = self.say(openid, "建议", {"asked": "请选择", "asked_before": "您正在填写意见建议"})
                step = "write" if got else "start"
            else:
                got = self.say(openid, IDEA, {"done": "感谢您的意见建议", "ended": "抱歉，没有理解"})
                if got == "done":
                    return True
                step = "start" if got == "ended" else "write"
        return False

    def run_inbound(self, seconds: float, concurrency: int = 3) -> threading.Thread:
        """The citizens' suggestions, in a background thread."""
        for openid in self.citizens:
            self._admin_user(openid)
        deadline = time.monotonic() + seconds

        def one(openid: str) -> bool:
            try:
                return self.suggest(openid, deadline)
            except Exception as error:  # a bug of this harness: shown with the figures, never silent
                self.last_seen[openid] = f"harness error {error!r}"
                raise

        def run() -> None:
            with ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(one, self.citizens))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    # --- counting ----------------------------------------------------------------------------------

    def wait_delivered(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        total = len(self.notified) + len(self.texted)
        while time.monotonic() < deadline:
            try:
                if self.delivered() >= total:
                    return
            except Exception:  # the database may be the thing that is down right now
                pass
            time.sleep(0.5)

    def figures(self, scenario: str, seconds: float) -> Figures:
        outbound = self.notified + self.texted
        messages = requests.get(self.stack.emulator_base + "/_admin/messages", timeout=30).json()
        received = collections.Counter(m["openid"] for m in messages if m.get("kind") != "passive")
        with Session(self.engine) as session:
            rows = session.execute(select(OUTBOX.c.recipient, OUTBOX.c.status, OUTBOX.c.possibly_resent)).all()
            stored = collections.Counter(session.scalars(
                select(Citizen.openid).join(Suggestion, Suggestion.citizen_id == Citizen.id)))
        unsent = sum(1 for row in rows if row.status != "sent")
        lost = max(unsent, sum(1 for openid in outbound if received[openid] == 0))
        lost += sum(1 for openid in self.citizens if stored[openid] == 0)
        flagged = {row.recipient for row in rows if row.possibly_resent}
        window = {openid for openid in self.texted if received[openid] == 2 and openid in flagged}
        repeated = sum(max(0, received[openid] - 1) for openid in outbound if openid not in window)
        repeated += sum(max(0, stored[openid] - 1) for openid in self.citizens)
        self.repeats = {openid: count for openid, count in [*received.items(), *stored.items()]
                        if count > 1 and openid not in window}
        return Figures(scenario, outbound=len(outbound), delivered=sum(1 for row in rows if row.status == "sent"),
                       inbound=len(self.citizens), stored=sum(1 for o in self.citizens if stored[o]),
                       lost=lost, repeated=repeated, possibly_resent=len(flagged), window_repeats=len(window),
                       seconds=seconds)

    def close(self) -> None:
        self.engine.dispose()
