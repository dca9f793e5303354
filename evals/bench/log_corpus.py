"""A generated corpus of payment-platform log lines with ground truth, for the redaction benchmark.

Every line records the sensitive values planted in it (which must not survive redaction) and the
operational tokens (which must: UUIDs, trace / span ids, git SHAs, pod names, model names and
versions, latencies, status codes, ISO timestamps, 16-digit order numbers that fail Luhn).
Identifiers carry valid check digits (computed with python-stdnum), so only a checksum-aware
redactor can tell them from the look-alikes. The generator is seeded and needs nothing installed
beyond the project's dependencies.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import phonenumbers
from stdnum import iban, luhn
from stdnum.ar import cuit
from stdnum.br import cnpj
from stdnum.cl import rut
from stdnum.co import nit
from stdnum.mx import curp, rfc

FIRST = (
    "Maria",
    "João",
    "Ana",
    "Carlos",
    "Lucía",
    "José",
    "Fernanda",
    "Diego",
    "Valentina",
    "Mateo",
    "Camila",
    "Pedro",
)
LAST = (
    "Silva",
    "Santos",
    "Oliveira",
    "González",
    "Rodríguez",
    "Pereira",
    "Hernández",
    "Costa",
    "Martínez",
    "Souza",
)
MODELS = ("fraud-xgb", "chargeback-lgbm", "anomaly-iforest", "fraud-tabnet", "risk-score-gbdt")
DOMAINS = ("gmail.com", "empresa.com.br", "correo.mx", "hotmail.com", "pagos.com.ar", "banco.cl")
UAS = ("okhttp/4.12.0", "python-httpx/0.27.0", "Mozilla/5.0 (X11; Linux x86_64)", "Go-http-client/2.0")
HEX = "0123456789abcdef"


def _rfc_checks(value: str) -> bool:
    try:
        rfc.validate(value, validate_check_digits=True)
    except ValueError:
        return False
    return True


@dataclass
class LogLine:
    """One generated line and its ground truth."""

    text: str
    sensitive: list[tuple[str, str]] = field(default_factory=list)  # (kind, value): must disappear
    names: list[str] = field(default_factory=list)  # person names (reported separately)
    operational: list[str] = field(default_factory=list)  # must survive unchanged


class Ids:
    """Random but valid identifiers and operational tokens from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    def hexs(self, n: int) -> str:
        return "".join(self.rng.choice(HEX) for _ in range(n))

    def alnum(self, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def cpf(self) -> str:
        base = self.digits(9)
        while len(set(base)) == 1:
            base = self.digits(9)
        d1 = (sum((10 - i) * int(c) for i, c in enumerate(base)) * 10 % 11) % 10
        d2 = (sum((11 - i) * int(c) for i, c in enumerate(base + str(d1))) * 10 % 11) % 10
        return f"{base[:3]}.{base[3:6]}.{base[6:]}-{d1}{d2}"

    def cnpj(self, alphanumeric: bool = False) -> str:
        alphabet = string.ascii_uppercase + string.digits if alphanumeric else string.digits
        base = self.alnum(8, alphabet) + "0001"
        full = base + cnpj.calc_check_digits(base)
        return f"{full[:2]}.{full[2:5]}.{full[5:8]}/{full[8:12]}-{full[12:]}"

    def curp(self) -> str:
        for _ in range(100):
            up = string.ascii_uppercase
            cons = "BCDFGHJKLMNPQRSTVWXYZ"
            date = (datetime(1960, 1, 1) + timedelta(days=self.rng.randrange(15000))).strftime("%y%m%d")
            base = (
                self.rng.choice(up) + self.rng.choice("AEIOU") + self.alnum(2, up) + date + self.rng.choice("HM")
                + self.rng.choice(("DF", "NL", "JC", "MC", "PL")) + self.alnum(3, cons) + "0"
            )  # fmt: skip
            value = base + curp.calc_check_digit(base)
            if curp.is_valid(value):
                return value
        raise RuntimeError("no valid CURP generated")

    def rfc(self) -> str:
        while True:
            date = (datetime(1960, 1, 1) + timedelta(days=self.rng.randrange(15000))).strftime("%y%m%d")
            base = (
                self.alnum(4, string.ascii_uppercase) + date + self.alnum(2, "123456789ABCDEFGHJKLMNPRSTUV")
            )
            value = base + rfc.calc_check_digit(base)
            if rfc.is_valid(value) and _rfc_checks(value):
                return value

    def cuit(self) -> str:
        base = self.rng.choice(("20", "27", "30")) + self.digits(8)
        return f"{base[:2]}-{base[2:]}-{cuit.calc_check_digit(base)}"

    def rut(self) -> str:
        base = str(self.rng.randrange(5_000_000, 25_000_000))
        number = f"{int(base):,}".replace(",", ".")
        return f"{number}-{rut.calc_check_digit(base)}"

    def nit(self) -> str:
        base = "9" + self.digits(8)
        return f"{base[:3]}.{base[3:6]}.{base[6:]}-{nit.calc_check_digit(base)}"

    def iban(self) -> str:
        while True:
            country, bban = self.rng.choice(
                (("DE", self.digits(18)), ("GB", "NWBK" + self.digits(14)), ("NL", "ABNA" + self.digits(10)))
            )
            code = country + iban.calc_check_digits(country + "00" + bban) + bban
            if iban.is_valid(code):
                return " ".join(code[i : i + 4] for i in range(0, len(code), 4))

    def card(self) -> str:
        prefix, length = self.rng.choice(
            (("4", 16), ("51", 16), ("2221", 16), ("37", 15), ("650031", 16), ("509", 16))
        )
        body = prefix + self.digits(length - len(prefix) - 1)
        digits = body + luhn.calc_check_digit(body)
        style = self.rng.choice(("bare", "spaced", "dashed"))
        if length == 15:
            sep = " " if style == "spaced" else "-" if style == "dashed" else ""
            return f"{digits[:4]}{sep}{digits[4:10]}{sep}{digits[10:]}"
        sep = {"bare": "", "spaced": " ", "dashed": "-"}[style]
        return sep.join(digits[i : i + 4] for i in range(0, 16, 4))

    def order_number(self) -> str:
        """16 digits that fail Luhn: an order id, not a card."""
        while True:
            value = self.rng.choice("123456789") + self.digits(15)
            if not luhn.is_valid(value):
                return value

    def phone(self) -> str:
        makers: tuple[Callable[[], str], ...] = (
            lambda: (
                f"+55 {self.rng.choice(('11', '21', '31'))} 9{self.rng.choice('6789')}{self.digits(3)}-{self.digits(4)}"
            ),
            lambda: f"+52 55 {self.rng.choice('2345')}{self.digits(3)} {self.digits(4)}",
            lambda: f"+54 9 11 {self.rng.choice('2345')}{self.digits(3)}-{self.digits(4)}",
            lambda: f"+57 31{self.digits(1)} {self.digits(3)} {self.digits(4)}",
            lambda: f"+56 9 {self.rng.choice('5678')}{self.digits(3)} {self.digits(4)}",
        )
        while True:
            value = self.rng.choice(makers)()
            if phonenumbers.is_valid_number(phonenumbers.parse(value)):
                return value

    def ip(self) -> str:
        return f"{self.rng.randrange(11, 223)}.{self.rng.randrange(256)}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"

    def name(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def email(self) -> str:
        return f"{self.rng.choice(FIRST).lower().replace('ã', 'a').replace('é', 'e').replace('í', 'i')}.{self.hexs(4)}@{self.rng.choice(DOMAINS)}"

    def uuid(self) -> str:
        h = self.hexs(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def pod(self, model: str) -> str:
        return f"{model}-{self.hexs(9)}-{self.alnum(5, string.ascii_lowercase + string.digits)}"

    def password(self) -> str:
        return self.alnum(14) + self.rng.choice("!#%^")

    def jwt(self) -> str:
        def seg(data: dict[str, object]) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        return f"{seg({'alg': 'RS256', 'typ': 'JWT'})}.{seg({'sub': self.hexs(12), 'exp': 1735689600})}.{self.alnum(43, string.ascii_letters + string.digits + '-_')}"

    def ts(self, index: int) -> str:
        moment = datetime(2025, 3, 14, 9, 0, tzinfo=UTC) + timedelta(milliseconds=137 * index)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _clean(ids: Ids, i: int) -> LogLine:
    model, trace, ts = ids.rng.choice(MODELS), ids.hexs(32), ids.ts(i)
    pod, version, latency = ids.pod(model), f"{ids.rng.randrange(1, 40)}", f"{ids.rng.uniform(2, 900):.1f}"
    status, uuid, sha, order = (
        ids.rng.choice(("200", "201", "404", "429", "503")),
        ids.uuid(),
        ids.hexs(40),
        ids.order_number(),
    )
    kind = ids.rng.randrange(6)
    if kind == 0:
        text = (
            f'{{"ts":"{ts}","level":"INFO","pod":"{pod}","trace_id":"{trace}","span_id":"{ids.hexs(16)}",'
            f'"model":"{model}","version":"{version}","latency_ms":{latency},"status":{status},"order_id":"{order}"}}'
        )
        return LogLine(text, operational=[ts, pod, trace, model, latency, status, order])
    if kind == 1:
        text = (
            f'[{ts}] "POST /v2/score/{uuid} HTTP/2" {status} - via_upstream - "-" 512 87 {latency} 41 "-" '
            f'"{ids.rng.choice(UAS)}" "{uuid}" "{model}.ml-serving.svc.cluster.local:8080" outbound|8080||{model}'
        )
        return LogLine(text, operational=[ts, uuid, status, latency, model])
    if kind == 2:
        text = f"{ts} Warning BackOff pod/{pod} Back-off restarting failed container {model} in pod {pod} (exit 137 OOMKilled)"
        return LogLine(text, operational=[ts, pod, model])
    if kind == 3:
        text = f"{ts} mlflow Registered model '{model}' version {version} run_id={ids.hexs(32)} git_sha={sha} stage=Staging"
        return LogLine(text, operational=[ts, model, sha])
    if kind == 4:
        text = f'serving_latency_seconds_bucket{{model="{model}",version="{version}",le="0.25"}} {ids.rng.randrange(10**5)} {ts}'
        return LogLine(text, operational=[model, ts])
    text = f"{ts} INFO feast materialize feature_view=tx_velocity_1h rows=184223 took={latency}ms order_ref={order}"
    return LogLine(text, operational=[ts, latency, order])


def _payment(ids: Ids, i: int) -> LogLine:
    ts, trace, order, card, name = ids.ts(i), ids.hexs(32), ids.order_number(), ids.card(), ids.name()
    cpf, email, phone = ids.cpf(), ids.email(), ids.phone()
    text = (
        f'{{"ts":"{ts}","event":"payment.authorized","trace_id":"{trace}","order_id":"{order}","amount":{ids.rng.randrange(100, 99999) / 100},'
        f'"card":"{card}","cardholder_name":"{name}","cpf":"{cpf}","email":"{email}","phone":"{phone}","latency_ms":12.7,"status":200}}'
    )
    sensitive = [("CREDIT_CARD", card), ("BR_CPF", cpf), ("EMAIL_ADDRESS", email), ("PHONE_NUMBER", phone)]
    return LogLine(text, sensitive, [name], [ts, trace, order, "12.7"])


def _chargeback(ids: Ids, i: int) -> LogLine:
    ts, order, card, name, cnpj_value = (
        ids.ts(i),
        ids.order_number(),
        ids.card(),
        ids.name(),
        ids.cnpj(ids.rng.random() < 0.5),
    )
    cpf_bare = ids.cpf().replace(".", "").replace("-", "")
    text = f'ts={ts} event=chargeback.opened order={order} pan={card} titular="{name}" cpf={cpf_bare} merchant_cnpj={cnpj_value} reason=4837 status=open'
    return LogLine(
        text,
        [("CREDIT_CARD", card), ("BR_CPF", cpf_bare), ("BR_CNPJ", cnpj_value)],
        [name],
        [ts, order, "4837"],
    )


def _latam(ids: Ids, i: int) -> LogLine:
    ts, trace, kind = ids.ts(i), ids.hexs(32), ids.rng.randrange(3)
    if kind == 0:
        values = [("MX_CURP", ids.curp()), ("MX_RFC", ids.rfc()), ("PHONE_NUMBER", ids.phone())]
        text = f"{ts} kyc.verified country=MX curp={values[0][1]} rfc={values[1][1]} tel={values[2][1]} trace_id={trace}"
    elif kind == 1:
        values = [("AR_CUIT", ids.cuit()), ("EMAIL_ADDRESS", ids.email())]
        text = (
            f"{ts} onboarding merchant CUIT {values[0][1]} contact {values[1][1]} trace_id={trace} took=84ms"
        )
    else:
        values = [("CL_RUT", ids.rut()), ("CO_NIT", ids.nit()), ("IP_ADDRESS", ids.ip())]
        text = f"{ts} settlement rut={values[0][1]} nit={values[1][1]} client_ip={values[2][1]} trace_id={trace} status=200"
    return LogLine(text, values, [], [ts, trace])


def _payout(ids: Ids, i: int) -> LogLine:
    ts, name, account, uuid = ids.ts(i), ids.name(), ids.iban(), ids.uuid()
    text = f'{ts} payout.sent id={uuid} beneficiary="{name}" iban={account} amount=1520.00 currency=EUR latency=231ms'
    return LogLine(text, [("IBAN_CODE", account)], [name], [ts, uuid, "231ms"])


def _secret(ids: Ids, i: int) -> LogLine:
    ts, kind = ids.ts(i), ids.rng.randrange(8)
    key = "AKIA" + ids.alnum(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    makers: list[tuple[str, str, str]] = [
        ("AWS_ACCESS_KEY_ID", key, f"{ts} boto3 using AWS_ACCESS_KEY_ID={key} region=sa-east-1"),
        ("AWS_SECRET_KEY", (sk := ids.alnum(38) + "/+"), f"{ts} config aws_secret_access_key = {sk}"),
        (
            "SLACK_TOKEN",
            (xo := f"xoxb-{ids.digits(12)}-{ids.digits(13)}-{ids.alnum(24)}"),
            f"{ts} slack client init token_source=env SLACK_BOT={xo}",
        ),
        (
            "GITHUB_TOKEN",
            (gh := "ghp_" + ids.alnum(36)),
            f"{ts} git clone https://{gh}@github.com/acme/fraud-models.git",
        ),
        (
            "OPENAI_API_KEY",
            (oa := "sk-proj-" + ids.alnum(48)),
            f"{ts} litellm request model=gpt-4o-mini api_key_env={oa}",
        ),
        ("JWT", (jw := ids.jwt()), f'{ts} "GET /v1/merchants HTTP/1.1" 401 Authorization: Bearer {jw}'),
        (
            "PASSWORD",
            (pw := ids.password()),
            f"{ts} connecting DATABASE_URL=postgresql://svc_fraud:{pw}@db.payments.internal:5432/fraud",
        ),
        ("PASSWORD", (pw2 := ids.password()), f"{ts} WARN retry login user=etl password={pw2} attempt=2"),
    ]
    kind_name, value, text = makers[kind]
    return LogLine(text, [(kind_name, value)], [], [ts])


def _pem(ids: Ids, i: int) -> LogLine:
    body = "\\n".join(ids.alnum(64, string.ascii_letters + string.digits + "+/") for _ in range(4))
    pem = f"-----BEGIN RSA PRIVATE KEY-----\\n{body}\\n-----END RSA PRIVATE KEY-----"
    return LogLine(
        f'{{"ts":"{ids.ts(i)}","secret_ref":"vault://ml/signing","value":"{pem}"}}',
        [("PRIVATE_KEY", body)],
        [],
        [ids.ts(i)],
    )


def _note(ids: Ids, i: int) -> LogLine:
    ts, name, order = ids.ts(i), ids.name(), ids.order_number()
    text = f'{{"ts":"{ts}","level":"INFO","msg":"Dispute note: cardholder {name} says order {order} was not received","status":202}}'
    return LogLine(text, [], [name], [ts, order])


TEMPLATES: tuple[tuple[Callable[[Ids, int], LogLine], int], ...] = (
    (_clean, 60), (_payment, 10), (_chargeback, 6), (_latam, 8), (_payout, 4), (_secret, 8), (_pem, 1), (_note, 3),
)  # fmt: skip


def generate(n_lines: int = 6000, seed: int = 7) -> list[LogLine]:
    """``n_lines`` log lines of a mixed payment platform (about 40 % carry sensitive values)."""
    rng = random.Random(seed)
    ids = Ids(rng)
    makers = [maker for maker, _ in TEMPLATES]
    weights = [weight for _, weight in TEMPLATES]
    return [rng.choices(makers, weights=weights)[0](ids, i) for i in range(n_lines)]
