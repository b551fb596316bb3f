#!/usr/bin/env python3
"""Writes the small data files of samples/data: one per task, in the formats `gpurnn train --task NAME --data FILE`
reads. Deterministic (fixed seed); run from any folder: python3 samples/data/make_data.py"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20140908)


def write(name, lines, header=None):
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="\n") as f:
        if header:
            f.write(header + "\n")
        for line in lines:
            f.write(line + "\n")


# classify, texts: intents of short requests, label<TAB>text.
CITIES = ["paris", "london", "tokyo", "berlin", "madrid", "oslo", "lima", "cairo", "rome", "dublin"]
DAYS = ["today", "tomorrow", "tonight", "this weekend", "on monday", "on friday"]
ARTISTS = ["some jazz", "the beatles", "my playlist", "classical music", "something relaxing", "the radio", "that song again"]
TIMES = ["6 am", "7 30", "noon", "half past eight", "9 pm", "five minutes", "an hour"]
INTENTS = {
    "weather": ["what is the weather in {c} {d}", "will it rain in {c} {d}", "how cold is it in {c}", "do i need an umbrella {d}",
                "is it sunny in {c} {d}", "weather forecast for {c}"],
    "music": ["play {a}", "put on {a}", "i want to hear {a}", "can you play {a} please", "turn on {a}", "start {a} in the kitchen"],
    "alarm": ["wake me up at {t}", "set an alarm for {t}", "remind me in {t}", "set a timer for {t}", "alarm at {t} {d}", "cancel my alarm for {t}"],
}
texts = []
for label, templates in INTENTS.items():
    for _ in range(50):
        texts.append(label + "\t" + rng.choice(templates).format(c=rng.choice(CITIES), d=rng.choice(DAYS), a=rng.choice(ARTISTS), t=rng.choice(TIMES)))
rng.shuffle(texts)
write("intents.tsv", texts)

# classify, numeric: sensor traces (temperature, vibration), one row per step, labelled by whether the temperature rises.
rows = []
for s in range(80):
    label = rng.choice(["rising", "falling"])
    n = rng.randint(4, 8)
    start = rng.uniform(15, 25)
    slope = rng.uniform(0.5, 1.5) * (1 if label == "rising" else -1)
    for t in range(n):
        rows.append(f"s{s:03d},{label},{start + slope * t + rng.gauss(0, 0.2):.2f},{rng.uniform(0, 1):.3f}")
write("sensors.csv", rows, header="sequence_id,label,temperature,vibration")

# tag: sentences with person, location and organisation entities, CoNLL (token tag, blank line between sentences).
PEOPLE = [["anna"], ["john", "smith"], ["maria", "garcia"], ["li", "wei"], ["tom"], ["sara", "jones"], ["ahmed"], ["olga", "petrova"]]
PLACES = [["paris"], ["new", "york"], ["berlin"], ["lagos"], ["tokyo"], ["buenos", "aires"], ["oslo"], ["cape", "town"]]
ORGS = [["acme"], ["the", "united", "nations"], ["globex", "corp"], ["red", "cross"], ["initech"], ["world", "bank"]]
SENTENCES = [
    ["{P}", "visited", "{L}", "last", "week"],
    ["{P}", "works", "for", "{O}", "in", "{L}"],
    ["{O}", "opened", "an", "office", "in", "{L}"],
    ["yesterday", "{P}", "met", "{P}", "at", "{O}"],
    ["the", "meeting", "in", "{L}", "was", "led", "by", "{P}"],
    ["{P}", "left", "{O}", "and", "moved", "to", "{L}"],
]
conll = []
for _ in range(120):
    for slot in rng.choice(SENTENCES):
        kind = {"{P}": ("PER", PEOPLE), "{L}": ("LOC", PLACES), "{O}": ("ORG", ORGS)}.get(slot)
        if kind is None:
            conll.append(f"{slot} O")
            continue
        tag, names = kind
        for i, token in enumerate(rng.choice(names)):
            conll.append(f"{token} {'B' if i == 0 else 'I'}-{tag}")
    conll.append("")
write("entities.conll", conll[:-1])

# seq2seq: dates written out to ISO dates, source<TAB>target.
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
pairs = []
for _ in range(300):
    year, month, day = rng.randint(1990, 2029), rng.randint(1, 12), rng.randint(1, 28)
    pairs.append(f"{day} {MONTHS[month - 1]} {year}\t{year}-{month:02d}-{day:02d}")
write("dates.tsv", pairs)

# adding: target<TAB>v1,m1 v2,m2 ... (T = 10), the adding problem's own form.
adding = []
for _ in range(200):
    values = [rng.random() for _ in range(10)]
    first, second = rng.randrange(5), 5 + rng.randrange(5)
    marks = [1 if t in (first, second) else 0 for t in range(10)]
    adding.append(f"{values[first] + values[second]:.4f}\t" + " ".join(f"{v:.4f},{m}" for v, m in zip(values, marks)))
write("adding.tsv", adding)

# copy: input symbols<TAB>target symbols (3 symbols recalled after a delay of 4).
copy = []
for _ in range(200):
    k, delay = 3, 4
    symbols = [rng.randint(1, 8) for _ in range(k)]
    inputs = symbols + [0] * (delay - 1) + [9] + [0] * k
    targets = [0] * (delay + k) + symbols
    copy.append(" ".join(map(str, inputs)) + "\t" + " ".join(map(str, targets)))
write("copy.tsv", copy)

# wordlm: a small word-level text from a toy grammar.
NOUNS = ["cat", "dog", "bird", "farmer", "child", "teacher", "horse", "fox"]
VERBS = ["sees", "chases", "feeds", "likes", "follows", "finds"]
ADJECTIVES = ["old", "small", "happy", "brown", "quick", "lazy"]
PLACES2 = ["the barn", "the field", "the river", "the school", "the market"]
words = []
for _ in range(400):
    subject = f"the {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}" if rng.random() < 0.5 else f"the {rng.choice(NOUNS)}"
    sentence = f"{subject} {rng.choice(VERBS)} the {rng.choice(NOUNS)}"
    if rng.random() < 0.4:
        sentence += f" near {rng.choice(PLACES2)}"
    words.append(sentence + " .")
write("words.txt", [" ".join(words[i:i + 8]) for i in range(0, len(words), 8)])
