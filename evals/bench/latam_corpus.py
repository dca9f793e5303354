"""A generated corpus of LatAm operational text with ground truth, for redaction quality and speed.

Log lines, Python tracebacks, JSON payloads and Slack-like messages in Spanish, Portuguese and
English, with names from faker's ``es_MX``, ``pt_BR``, ``es_AR``, ``es_CO`` and ``es_CL`` locales
(faker is independent of the gazetteer the redactor uses), valid LatAm mobile numbers in the formats
people write them, identifiers with valid check digits and secrets (from :mod:`.log_corpus`'s
``Ids``), and the operational tokens that must survive (timestamps, trace ids, pods, model versions,
latencies, status codes, Luhn-failing order numbers, amounts, regions such as ``São Paulo``).

Seeds: :data:`TUNE_SEED` is the one to look at while improving the redactor; :data:`HELDOUT_SEED`
is only for measuring (``make bench`` and the quality test) — never tune on it.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field

import phonenumbers
from faker import Faker

from evals.bench.log_corpus import Ids

TUNE_SEED = 1
HELDOUT_SEED = 20261206
LOCALES = ("es_MX", "pt_BR", "es_AR", "es_CO", "es_CL")
REGION_OF = {"es_MX": "MX", "pt_BR": "BR", "es_AR": "AR", "es_CO": "CO", "es_CL": "CL"}
MODELS = ("fraud-xgb", "chargeback-lgbm", "anomaly-iforest", "risk-score-gbdt")
PLACES = ("São Paulo", "Buenos Aires", "Ciudad de México", "Santiago de Chile", "Bogotá", "Rio de Janeiro")
PARTICLES = frozenset({"da", "de", "do", "dos", "das", "del", "la", "las", "los", "y", "e"})


@dataclass
class Sample:
    """One generated text and what was planted in it."""

    text: str
    identifiers: list[tuple[str, str]] = field(default_factory=list)  # (kind, value): must disappear
    names: list[str] = field(default_factory=list)  # no word of them may survive
    phones: list[str] = field(default_factory=list)  # must disappear
    operational: list[str] = field(default_factory=list)  # must survive unchanged


class Planter:
    """Seeded values for every template: people and phones per locale, identifiers, ops tokens."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ids = Ids(self.rng)
        self.fakers = {loc: Faker(loc) for loc in LOCALES}
        for offset, fake in enumerate(self.fakers.values()):
            fake.seed_instance(seed * 31 + offset)

    def locale(self) -> str:
        return self.rng.choice(LOCALES)

    def name(self, loc: str) -> str:
        fake = self.fakers[loc]
        parts = [fake.first_name()]
        if self.rng.random() < 0.3:
            parts.append(fake.first_name())
        parts.append(fake.last_name())
        if loc != "pt_BR" and self.rng.random() < 0.5:
            parts.append(fake.last_name())
        return " ".join(parts)

    def phone(self, loc: str) -> tuple[str, bool]:
        """A valid mobile number of the locale's country and whether it needs a cue (national form)."""
        region = REGION_OF[loc]
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        assert example is not None  # phonenumbers has a mobile example for every region used here
        national = str(example.national_number)
        while True:
            digits = national[:-4] + "".join(self.rng.choice(string.digits) for _ in range(4))
            number = phonenumbers.parse("+" + str(example.country_code) + digits)
            if phonenumbers.is_valid_number(number):
                break
        style = self.rng.randrange(4)
        if style == 0:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL), False
        if style == 1:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), False
        if region == "BR" and style == 2:
            return f"({digits[:2]}) {digits[2:7]}-{digits[7:]}", False
        if region == "AR" and style == 2:
            return f"15-{digits[-8:-4]}-{digits[-4:]}", True  # Buenos Aires local mobile
        if region == "MX" and style == 2:
            return f"+52 1 {digits[:2]} {digits[2:6]} {digits[6:]}", False  # the old mobile prefix
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL), True

    def identifier(self, loc: str) -> tuple[str, str]:
        ids = self.ids
        choices: dict[str, list[tuple[str, Callable[[], str]]]] = {
            "pt_BR": [("BR_CPF", ids.cpf), ("BR_CNPJ", ids.cnpj)],
            "es_MX": [("MX_CURP", ids.curp), ("MX_RFC", ids.rfc)],
            "es_AR": [("AR_CUIT", ids.cuit)],
            "es_CO": [("CO_NIT", ids.nit)],
            "es_CL": [("CL_RUT", ids.rut)],
        }
        kind, make = self.rng.choice([*choices[loc], ("CREDIT_CARD", ids.card), ("EMAIL_ADDRESS", ids.email)])
        return kind, make()

    def ops(self, i: int) -> dict[str, str]:
        ids = self.ids
        model = self.rng.choice(MODELS)
        return {
            "ts": ids.ts(i),
            "trace": ids.hexs(32),
            "pod": ids.pod(model),
            "model": model,
            "version": f"{self.rng.randrange(1, 4)}.{self.rng.randrange(30)}.{self.rng.randrange(10)}",
            "latency": str(self.rng.randrange(3, 4000)),
            "status": self.rng.choice(("200", "201", "400", "402", "409", "500", "502", "503", "504")),
            "order": ids.order_number(),
            "amount": f"{self.rng.randrange(1, 9999)},{self.rng.randrange(100):02d}",
            "place": self.rng.choice(PLACES),
        }


def _log_line(p: Planter, i: int) -> Sample:
    loc, o = p.locale(), p.ops(i)
    name, (phone, _), (kind, value) = p.name(loc), p.phone(loc), p.identifier(loc)
    if loc == "pt_BR":
        text = (
            f'{o["ts"]} WARN pagamento recusado pedido={o["order"]} cliente="{name}" doc={value} '
            f"tel={phone} latency_ms={o['latency']} status={o['status']} trace_id={o['trace']} pod={o['pod']}"
        )
    else:
        text = (
            f'{o["ts"]} WARN pago rechazado orden={o["order"]} titular="{name}" doc={value} '
            f"celular={phone} latency_ms={o['latency']} status={o['status']} trace_id={o['trace']} pod={o['pod']}"
        )
    return Sample(
        text, [(kind, value)], [name], [phone], [o["ts"], o["order"], o["latency"], o["trace"], o["pod"]]
    )


def _json_payload(p: Planter, i: int) -> Sample:
    loc, o = p.locale(), p.ops(i)
    customer, holder = p.name(loc), p.name(loc)
    (phone, _), (kind, value), card = p.phone(loc), p.identifier(loc), p.ids.card()
    body = {
        "ts": o["ts"], "event": "chargeback.opened", "order_id": o["order"], "amount": o["amount"],
        "customer": customer, "card": {"holder": holder, "number": card}, "contact": {"phone": phone},
        "document": value, "model": o["model"], "model_version": o["version"], "latency_ms": int(o["latency"]),
        "region": o["place"], "status": int(o["status"]),
    }  # fmt: skip
    return Sample(
        json.dumps(body, ensure_ascii=False),
        [(kind, value), ("CREDIT_CARD", card)],
        [customer, holder],
        [phone],
        [o["ts"], o["order"], o["model"], o["version"], o["place"], o["latency"]],
    )


def _traceback(p: Planter, i: int) -> Sample:
    loc, o = p.locale(), p.ops(i)
    holder, (kind, value) = p.name(loc), p.identifier(loc)
    email = p.ids.email()
    text = (
        "Traceback (most recent call last):\n"
        f'  File "/srv/payments/refunds.py", line {p.rng.randrange(20, 400)}, in process_refund\n'
        "    gateway.refund(payload)\n"
        f"RefundError: status={o['status']} payload={{'holder': '{holder}', 'doc': '{value}', "
        f"'email': '{email}', 'order': '{o['order']}', 'amount': {o['amount'].replace(',', '.')}, "
        f"'model': '{o['model']}', 'trace_id': '{o['trace']}'}}"
    )
    return Sample(
        text, [(kind, value), ("EMAIL_ADDRESS", email)], [holder], [], [o["order"], o["model"], o["trace"]]
    )


_CHAT = {
    "pt_BR": (
        "Oi time, a titular {name} ligou do {phone} reclamando do pedido {order} (R$ {amount}), "
        "escalado por {agent}. O {model} {version} marcou fraude em {latency} ms; região {place}.",
        "{name} confirmou por telefone ({phone}) que não reconhece a compra {order}. Responsável: {agent}.",
    ),
    "es": (
        "Hola equipo, el cliente {name} llamó desde el {phone} por el cobro duplicado de la orden {order} "
        "(${amount}); escalado por {agent}. {model} {version} respondió {status} en {latency} ms, región {place}.",
        "{name} confirmó al {phone} que no reconoce el cargo {order}. Responsable del turno: {agent}.",
    ),
    "en": (
        "FYI: customer {name} called from {phone} about order {order}; escalated by {agent}. "
        "{model} {version} returned {status} after {latency} ms in {place}.",
    ),
}
_PHONE_CUES = {"pt_BR": "celular", "es": "celular", "en": "phone"}


def _chat(p: Planter, i: int) -> Sample:
    loc, o = p.locale(), p.ops(i)
    lang = "pt_BR" if loc == "pt_BR" else p.rng.choice(("es", "es", "en"))
    name, agent = p.name(loc), p.name(loc)
    phone, needs_cue = p.phone(loc)
    template = p.rng.choice(_CHAT[lang])
    shown = f"{_PHONE_CUES[lang]} {phone}" if needs_cue else phone
    text = template.format(name=name, agent=agent, phone=shown, **o)
    kept = [
        o[key] for key in ("order", "place", "model", "version", "latency") if "{" + key + "}" in template
    ]
    return Sample(text, [], [name, agent], [phone], kept)


def _secret(p: Planter, i: int) -> Sample:
    o = p.ops(i)
    password, jwt = p.ids.password(), p.ids.jwt()
    text = (
        f"{o['ts']} ERROR db connect failed dsn=postgresql://payments:{password}@10.0.3.7:5432/ledger "
        f"auth='Bearer {jwt}' pod={o['pod']} status={o['status']}"
    )
    return Sample(text, [("PASSWORD", password), ("JWT", jwt)], [], [], [o["ts"], o["pod"]])


def _clean(p: Planter, i: int) -> Sample:
    o = p.ops(i)
    text = (
        f"{o['ts']} INFO Deployment Rollout Succeeded model={o['model']} version={o['version']} "
        f"region={o['place']} p99_ms={o['latency']} status={o['status']} order_ref={o['order']} "
        f"Fraud Scorer healthy; batch 9 8765 rows"
    )
    return Sample(
        text, [], [], [], [o["ts"], o["version"], o["place"], o["latency"], o["order"], "Fraud Scorer"]
    )


MAKERS: tuple[tuple[Callable[[Planter, int], Sample], int], ...] = (
    (_log_line, 3), (_json_payload, 3), (_traceback, 2), (_chat, 4), (_secret, 1), (_clean, 2),
)  # fmt: skip
DENSE_MAKERS = tuple((maker, weight) for maker, weight in MAKERS if maker is not _clean)


def generate(n: int, seed: int = HELDOUT_SEED, dense: bool = False) -> list[Sample]:
    """``n`` samples from ``seed``; ``dense`` leaves out the clean lines (PII in every sample)."""
    planter = Planter(seed)
    makers = DENSE_MAKERS if dense else MAKERS
    return [
        planter.rng.choices([m for m, _ in makers], [w for _, w in makers])[0](planter, i) for i in range(n)
    ]


def name_words(name: str) -> list[str]:
    """The words of a planted name that must not survive (particles and initials aside)."""
    return [w for w in name.split() if w.lower() not in PARTICLES and len(w.strip(".")) > 2]
