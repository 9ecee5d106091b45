"""A realistic roster and comments for the benchmarks: names and emails for every person, teams of
3 to 25, a comment in every row, some naming colleagues (run from the repository root: the script's
folder is on the import path, so ``from _people import roster`` finds this file).

Names mix many languages: accents, hyphens and apostrophes, particles (``van der``), two-letter
surnames (Xu, Ng) and names that are also words (Will, Grace, Young, Long), drawn with a skewed
(Zipf-like) frequency; surnames are also composed from stems and endings, so that a million
people share a few hundred thousand distinct names, as a large company's people do.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words(
    "Anna Ben Chiara David Elif Femi Grace Hugo Ines Jonas Kavya Lars Maria Noah Olga Pablo Quinn Rosa "
    "Samir Tara Umar Vera Wei Ximena Yusuf Zoë Amara Bruno Carmen Dmitri Emma Felix Gita Hana Ivan Julia "
    "Kenji Lena Mateo Nadia Omar Priya Rafael Sofia Tomás Uma Viktor Wanda Yara Zeynep Will Mark May Hope "
    "June Rose Joy Frank Bill Sandy Anne-Marie Jean-Luc José Søren Łukasz İlker Chloé Renée Björn Siobhán "
    "Seán François Nguyễn Ngozi Aoife Oluwaseun Mohammed Fatima Ahmed Aisha Wei-Ling Hiroshi Yuki Sakura "
    "Arjun Deepika Rohan Ananya Carlos Lucía Miguel Valentina Giulia Luca Matteo Chiara Sven Ingrid Astrid "
    "Mikael Katarzyna Piotr Agnieszka Mehmet Ayşe Emre Olumide Chinedu Thandiwe Kwame Ama Liam Olivia "
    "Ethan Ava Lucas Mia Jack Isla Leo Ella Max Ruby"
)
SURNAMES = _words(
    "Adler Bauer Costa Dubois Eriksen Fischer Garcia Hansen Ivanova Jansen Kowalski Lopez Meyer Nakamura "
    "Okafor Petrov Quispe Rossi Schmidt Tanaka Urban Varga Wagner Xu Yilmaz Zimmermann Andersen Brandt "
    "Chen Dias Evans Fontaine Gupta Horvat Ito Jovanović Kim Larsen Moreau Novak Olsen Park Ramos Silva "
    "Torres Ueda Vogel Weber Young Zhang Long Best King Wood Hall Little Day Moore Green White Brown Black "
    "O'Brien D'Souza N'Diaye O'Connor Smith-Jones García-Márquez Müller Šimić Çelik Øvergaard Åberg "
    "Núñez Ng Li Wu Do Le Ma Ho Lee Nguyen Tran Pham Singh Kumar Patel Sharma Khan Ali Hussain Ahmed "
    "Suzuki Sato Watanabe Kobayashi Yamamoto Wang Liu Yang Huang Zhao Murphy Kelly Walsh Byrne Ryan "
    "Novák Dvořák Kovács Nagy Tóth Papadopoulos Georgiou Nielsen Johansson Lindqvist Virtanen Korhonen"
)
PARTICLES = ["van der", "de la", "van", "de", "von", "da", "al"]
STEMS = _words(
    "Berg Lind Holm Strand Ander Peder Johan Kowal Nowak Wagen Schmid Kirch Brun Stein Feld Wald Bach "
    "Rosen Linden Fisch Hart Mar Castel Ferr Mont Bel Rich Alm Ek Fors Gran Hag Lund Sand Sjö Vik Dahl "
    "Frei Kron Lang Neu Ost Rot Schwarz Weiss Zell Abel Bor Dan Gor Kar Mil Pav Rad Stan Vlad Zor Kam"
)
ENDINGS = ["", *_words("son sen sson mann ski ska ova ić escu ini elli ez idis er")]

COMMENTS = (
    "Our 1:1s help me plan my week.",
    "I would like more time on career topics.",
    "Sometimes the 1:1 turns into a status meeting.",
    "I wish our 1:1s were cancelled less often.",
    "Most things get sorted in chat before the 1:1.",
    "The 1:1 is where I can raise harder topics.",
    "Shorter but more frequent 1:1s would suit me.",
    "I appreciate that my manager keeps our 1:1s.",
    "We rarely get past urgent issues.",
    "More feedback on how I work would help.",
    "Our 1:1s feel rushed.",
    "No comment, things are fine.",
    "I will bring a list of topics next time, it works best that way.",
    "It would be great if we could talk about growth, not just deadlines.",
    "May I suggest a monthly long-form session?",
    "Honestly the best meetings I have had in years.",
    "We mark progress against goals every week, which helps.",
    "The young team needs more time with the lead.",
    "Grace under pressure is what I see from my manager.",
    "Hope we keep this going after the reorganisation.",
    "n/a",
    "Nothing to add.",
)
NAMING = (
    "{first} always makes time for our 1:1s.",
    "Thanks {first}!",
    "{first}'s feedback really helps me grow.",
    "Talked to {lower} about it, no change yet.",
    "{full} cancels our 1:1s too often.",
    "I report to {full} and our 1:1s are great.",
    "{surname} is hard to reach between meetings.",
    "Please tell {upper} the team needs more time.",
    "Our 1:1s with {first} {surname} are the highlight of my week.",
    "- {full}",
)


def _zipf(rng: np.random.Generator, k: int, n: int, s: float = 0.9) -> np.ndarray:
    p = 1.0 / np.arange(1, k + 1) ** s
    return rng.choice(k, size=n, p=p / p.sum())


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def roster(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` people: employee_id, team (3 to 25 people), name, email (unique)."""
    first = np.array(FIRST, dtype=object)[_zipf(rng, len(FIRST), n)]
    composed = [s + e for s in STEMS for e in ENDINGS]
    pool = np.array(SURNAMES + composed, dtype=object)
    last = pool[_zipf(rng, len(pool), n, 0.6)]
    some = rng.random(n) < 0.1
    middle = np.where(some, np.array(FIRST, dtype=object)[rng.integers(len(FIRST), size=n)] + " ", "")
    some = rng.random(n) < 0.03
    particles = np.array(PARTICLES, dtype=object)
    particle = np.where(some, particles[rng.integers(len(PARTICLES), size=n)] + " ", "")
    name = pd.Series(first + " " + middle + particle + last, dtype=object)
    sizes = rng.integers(3, 26, size=n // 3 + 1)
    team = np.repeat(np.arange(len(sizes)), sizes)[:n]
    # emails: first.last in ASCII, numbered where two people share one
    stems = pd.Series(name.unique(), dtype=object)
    plain = (_ascii(s).lower().replace("'", "").replace(" ", ".") for s in stems)
    ascii_of = dict(zip(stems, plain, strict=True))
    stem = name.map(ascii_of)
    nth = stem.groupby(stem).cumcount()
    email = stem + np.where(nth > 0, nth.astype(str), "") + "@example.org"
    return pd.DataFrame(
        {
            "employee_id": [f"e{i:07d}" for i in range(n)],
            "team": [f"t{t:06d}" for t in team],
            "name": name.to_numpy(),
            "email": email.to_numpy(),
        }
    )


def comments(people: pd.DataFrame, rng: np.random.Generator, *, naming: float = 0.2) -> np.ndarray:
    """One comment per person; ``naming`` of them name a colleague, 0.2% carry an email address."""
    n = len(people)
    out = np.array(COMMENTS, dtype=object)[rng.integers(len(COMMENTS), size=n)]
    who = rng.integers(n, size=n)
    idx = np.flatnonzero(rng.random(n) < naming)
    template = rng.integers(len(NAMING), size=len(idx))
    names = people["name"].to_numpy()
    for i, t, w in zip(idx.tolist(), template.tolist(), who[idx].tolist(), strict=True):
        full = names[w]
        parts = full.split()
        said = NAMING[t].format(
            first=parts[0], surname=parts[-1], full=full, lower=parts[0].lower(), upper=full.upper()
        )
        out[i] = f"{said} {out[i]}"
    mail = np.flatnonzero(rng.random(n) < 0.002)
    emails = people["email"].to_numpy()
    for i in mail.tolist():
        out[i] = f"{out[i]} Write to {emails[who[i]]} if you want to know more."
    return out
