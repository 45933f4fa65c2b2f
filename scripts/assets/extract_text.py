#!/usr/bin/env python3
"""Turns the downloaded text packages into plain prose for distillation and held-out perplexity.

Set-up only (called by scripts/fetch-assets.sh; standard library only); rad itself never runs Python.

  extract_text.py GENSIM_WHEEL JANEAUSTENR_DEB OUT_DIR

Writes:
  OUT/wiki.jsonl          107 Wikipedia articles, MediaWiki markup stripped, {"title", "text"} per line
  OUT/news.jsonl          300 news articles (gensim lee_background.cor), {"text"} per line
  OUT/austen/*.txt        five Jane Austen novels, one file each (training text)
  OUT/heldout/persuasion.txt   the sixth novel, never trained on (held-out perplexity)
"""
import bz2, io, json, os, re, struct, subprocess, sys, tempfile, zipfile, zlib
import xml.etree.ElementTree as ET

wheel, deb, out = sys.argv[1:4]
os.makedirs(os.path.join(out, "austen"), exist_ok=True)
os.makedirs(os.path.join(out, "heldout"), exist_ok=True)

def strip_templates(s):
    # Remove {{...}} and {|...|} blocks, which nest.
    out, depth, i = [], 0, 0
    while i < len(s):
        two = s[i:i + 2]
        if two in ("{{", "{|"):
            depth += 1; i += 2; continue
        if depth and two in ("}}", "|}"):
            depth -= 1; i += 2; continue
        if not depth:
            out.append(s[i])
        i += 1
    return "".join(out)

def clean_wiki(text):
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"<ref[^>]*/>", "", text)
    text = re.sub(r"<ref[^>]*>.*?</ref>", "", text, flags=re.S)
    text = strip_templates(text)
    text = re.sub(r"\[\[(?:File|Image|Category):[^\[\]]*(?:\[\[[^\]]*\]\][^\[\]]*)*\]\]", "", text)
    text = re.sub(r"\[\[[^\]|]*\|([^\]]*)\]\]", r"\1", text)
    text = re.sub(r"\[\[([^\]]*)\]\]", r"\1", text)
    text = re.sub(r"\[https?://\S+ ([^\]]*)\]", r"\1", text)
    text = re.sub(r"\[https?://\S+\]", "", text)
    text = text.replace("'''", "").replace("''", "")
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"^=+\s*(.*?)\s*=+\s*$", r"\1", text, flags=re.M)
    text = re.sub(r"^[*#:;]+\s*", "", text, flags=re.M)
    lines = [l.strip() for l in text.split("\n")]
    text = "\n".join(l for l in lines if l and not l.startswith("|") and not l.startswith("!"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()

with zipfile.ZipFile(wheel) as z:
    data = "gensim/test/test_data/"
    xml_bytes = bz2.decompress(z.read(data + "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"))
    lee = z.read(data + "lee_background.cor").decode("utf-8")

ns = "{http://www.mediawiki.org/xml/export-0.10/}"
articles = []
for _, el in ET.iterparse(io.BytesIO(xml_bytes)):
    if el.tag == ns + "page":
        title = el.findtext(ns + "title") or ""
        text = el.findtext(f"{ns}revision/{ns}text") or ""
        if not text.lstrip().upper().startswith("#REDIRECT"):
            body = clean_wiki(text)
            if len(body) > 200:
                articles.append({"title": title, "text": body})
        el.clear()
with open(os.path.join(out, "wiki.jsonl"), "w") as f:
    for a in articles:
        f.write(json.dumps(a, ensure_ascii=False) + "\n")
with open(os.path.join(out, "news.jsonl"), "w") as f:
    for line in lee.splitlines():
        if line.strip():
            f.write(json.dumps({"text": line.strip()}, ensure_ascii=False) + "\n")

# janeaustenr: Rdata.rdb holds six zlib streams, each after a 4-byte big-endian length; each stream is an
# R-serialised character vector (tag 00 00 00 10, count, then per string 4 flag bytes + 4-byte length).
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(["dpkg-deb", "-x", deb, tmp], check=True)
    rdb = open(os.path.join(tmp, "usr/lib/R/site-library/janeaustenr/data/Rdata.rdb"), "rb").read()
names = {"EMMA": "emma", "MANSFIELD PARK": "mansfield_park", "NORTHANGER ABBEY": "northanger_abbey",
         "PERSUASION": "persuasion", "PRIDE AND PREJUDICE": "pride_and_prejudice",
         "SENSE AND SENSIBILITY": "sense_and_sensibility"}
pos = 0
while pos < len(rdb):
    pos += 4
    d = zlib.decompressobj()
    raw = d.decompress(rdb[pos:])
    pos = len(rdb) - len(d.unused_data)
    i = raw.find(b"\x00\x00\x00\x10")
    count = struct.unpack(">i", raw[i + 4:i + 8])[0]
    j, lines = i + 8, []
    for _ in range(count):
        n = struct.unpack(">i", raw[j + 4:j + 8])[0]
        j += 8
        if n == -1:
            lines.append("")
        else:
            lines.append(raw[j:j + n].decode("utf-8")); j += n
    title = next(l for l in lines if l.strip()).strip().upper()
    name = names[title]
    path = os.path.join(out, "heldout" if name == "persuasion" else "austen", name + ".txt")
    with open(path, "w") as f:
        f.write("\n".join(lines).strip() + "\n")
print(f"text: {len(articles)} wiki articles, {len(lee.splitlines())} news articles, 6 novels -> {out}")
