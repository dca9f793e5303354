"""The one list of words that announce a person, used by every name detector.

* :data:`NAME_KEYS` — keys whose value is a person's name whatever it looks like (``cardholder``,
  ``titular``…): masked in structures, and ``key: Name`` / ``key=Name`` in text.
* :data:`SOFT_NAME_KEYS` — keys whose value is a person only when it looks like one and holds a
  known given name or surname (``customer``, ``owner``, ``contact``…: they also hold ids and teams).
* :data:`TEXT_CUES` — words and phrases that precede a name in free text, in English, Spanish and
  Portuguese (``escalated by``, ``cliente``, ``responsável``, ``Sr.``…); the soft keys are cues too.

Keys are compared normalised (lower case, letters and digits only: ``card_holder`` → ``cardholder``).
"""

from __future__ import annotations

import unicodedata

NAME_KEYS: frozenset[str] = frozenset(
    [
        "cardholder",
        "cardholdername",
        "holdername",
        "accountholder",
        "accountholdername",
        "fullname",
        "firstname",
        "lastname",
        "surname",
        "givenname",
        "middlename",
        "customername",
        "clientname",
        "payername",
        "payeename",
        "contactname",
        "ownername",
        "beneficiary",
        "beneficiaryname",
        "beneficiario",
        "beneficiaria",
        "titular",
        "nometitular",
        "nombretitular",
        "nomecompleto",
        "nombrecompleto",
        "apellido",
        "apellidos",
        "sobrenome",
        "primeironome",
        "nomecliente",
        "nombrecliente",
        "personname",
        "holder",
    ]
)
SOFT_NAME_KEYS: frozenset[str] = frozenset(
    [
        "name",
        "nome",
        "nombre",
        "customer",
        "client",
        "cliente",
        "owner",
        "contact",
        "contacto",
        "contato",
        "responsible",
        "responsavel",
        "responsable",
        "escalatedby",
        "openedby",
        "reportedby",
        "requestedby",
        "assignee",
        "reporter",
        "requester",
        "solicitante",
        "approvedby",
        "createdby",
        "updatedby",
        "user",
        "usuario",
        "agentname",
        "operator",
        "atendente",
    ]
)
TEXT_CUES: tuple[str, ...] = (
    # English
    "cardholder", "card holder", "holder", "beneficiary", "customer", "client", "payer", "payee",
    "owner", "contact", "escalated by", "opened by", "reported by", "disputed by", "requested by",
    "assigned to", "approved by", "on behalf of", "spoke with", "talked to", "call with",
    # Spanish
    "titular", "beneficiario", "beneficiaria", "cliente", "contacto", "responsable", "dueño",
    "escalado por", "escalada por", "abierto por", "abierta por", "reportado por", "reportada por",
    "solicitado por", "solicitada por", "asignado a", "asignada a", "aprobado por", "a nombre de",
    "en nombre de", "hablé con", "habló con", "usuario", "pagador",
    # Portuguese
    "beneficiário", "contato", "responsável", "responsavel", "dono", "aberto por", "aberta por",
    "relatado por", "reportado por", "solicitado por", "atribuído a", "atribuido a", "aprovado por",
    "em nome de", "falei com", "falou com", "usuário", "atendente", "cliente",
    # honorifics and titles
    "sr.", "sra.", "srta.", "mr.", "mrs.", "ms.", "dr.", "dra.", "dr(a).", "lic.", "ing.", "prof.",
    "don", "doña", "dona",
)  # fmt: skip

PARTICLES = frozenset(
    {"da", "de", "do", "dos", "das", "del", "della", "la", "las", "los", "y", "e", "van", "von", "di"}
)


def normalise_key(key: str) -> str:
    """``Card_Holder-Name`` → ``cardholdername`` (lower case, letters and digits only)."""
    return "".join(ch for ch in key.lower() if ch.isalnum())


def fold(word: str) -> str:
    """``João`` → ``Joao``: the word without diacritics (gazetteer look-ups match both spellings)."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
