#!/usr/bin/env python3
"""render.py: news articles rendered the way CMSs and wires deliver them, for the format tests.

Reads plain-text articles (lede-eval JSONL: id, title, article with one paragraph a line) and
writes, per article, the plain text and the same article as an HTML body (WordPress-like, a
CMS <div>, or a whole page), an Arc XP ANS story, an IPTC ninjs document and hard-wrapped wire
copy, each with wrapper noise drawn at random (fixed seed): figures and captions with photo
credits, related-links asides, ad slots, embedded tweets / Instagram / TikTok posts, scripts,
styles, block comments, subheads, newsletter boxes, entities, unclosed <p>, stray end tags.
Each output line: {"id", "article_id", "form", "format", "title"?, "article", "noise": [...]}
where noise lists the text of every wrapper piece injected (none may reach a summary).
"""
import argparse
import html
import json
import random
import textwrap

FIRST = ["Maria", "John", "Aisha", "Kenji", "Elena", "David", "Priya", "Tom", "Chen", "Fatima",
         "Lucas", "Sofia", "Omar", "Grace", "Ivan", "Nadia", "Rich", "Paula", "Samir", "Hannah"]
LAST = ["Pedroncelli", "Okafor", "Lindqvist", "Tanaka", "Moreau", "Haddad", "Novak", "Reyes",
        "Brennan", "Kowalski", "Achebe", "Varga", "Silva", "Whitfield", "Nakamura", "Duarte"]
AGENCY = ["AP Photo", "Reuters", "Getty Images", "AFP via Getty Images", "EPA", "PA Wire",
          "Bloomberg", "Shutterstock", "Alamy"]
PLACES = ["London", "Washington", "Paris", "Nairobi", "Sydney", "Mumbai", "Berlin", "Lagos",
          "Toronto", "Madrid", "Seoul", "Cairo", "Lima", "Oslo"]
NOUNS = ["council", "minister", "crowd", "team", "protesters", "volunteers", "officials",
         "residents", "fans", "workers", "students", "firefighters", "voters", "players"]
VERBS = ["gather", "wait", "celebrate", "march", "speak", "arrive", "vote", "train", "queue",
         "react", "pose", "listen"]
HEAD_A = ["Why", "How", "What", "Inside", "Five things", "The day", "Explained:", "Watch:",
          "Opinion:", "Analysis:", "Live:", "Exclusive:"]
HEAD_B = ["the markets are nervous", "a small town fought back", "we know so far",
          "the race for the cup", "the new rules mean for you", "prices keep rising",
          "fans can expect this season", "the vote could change everything",
          "a storm hit the coast", "the talks broke down"]
TWEETS = ["Huge night here, the atmosphere is electric \U0001F525\U0001F525", "Breaking: more details soon",
          "Cannot believe what we just saw", "Thread on what this means for families",
          "Thank you all for the support, back stronger", "Queues already round the block \U0001F440"]
NEWSLETTER = ["Sign up for our morning briefing and get the news that matters in your inbox.",
              "Get our free daily newsletter, delivered every weekday at 7am.",
              "Subscribe to our politics newsletter for analysis you will not find elsewhere.",
              "Want more stories like this? Join our weekly email."]
ADS = ["ADVERTISEMENT", "Advertisement", "Story continues below advertisement",
       "Sponsored content", "Advertisement - scroll to continue", "AD"]


class Rng(random.Random):
    def name(self):
        return f"{self.choice(FIRST)} {self.choice(LAST)}"

    def caption(self):
        return (f"{self.choice(NOUNS).capitalize()} {self.choice(VERBS)} in "
                f"{self.choice(PLACES)} on {self.choice(['Monday', 'Tuesday', 'Friday', 'Sunday'])}."
                f" ({self.choice(AGENCY)}/{self.name()})")

    def headline(self):
        return f"{self.choice(HEAD_A)} {self.choice(HEAD_B)}"

    def slug(self):
        return "-".join(self.headline().lower().replace(":", "").split())


def esc(text, rng, smart):
    """HTML-escapes text with varied but equivalent character references."""
    out = []
    for ch in text:
        r = rng.random()
        if ch == "&":
            out.append(rng.choice(["&amp;", "&#38;", "&#x26;", "&amp"]) if r < 0.9 else "&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append(rng.choice(["&gt;", "&#62;"]))
        elif ch == '"':
            out.append(rng.choice(['"', "&quot;", "&#34;", "&#x22;"]))
        elif ch == "'":
            out.append(rng.choice(["'", "&#39;", "&#x27;", "&apos;"]))
        elif ord(ch) > 127 and r < 0.5:
            out.append(rng.choice([f"&#{ord(ch)};", f"&#x{ord(ch):x};"]))
        elif ch == " " and r < 0.01:
            out.append(rng.choice([" \n", "\n  ", "  "]))
        else:
            out.append(ch)
    return "".join(out)


def inline(text, rng):
    """Wraps a few words of escaped text in inline markup, on word boundaries only."""
    words = text.split(" ")
    if len(words) < 6 or rng.random() < 0.4:
        return text
    i = rng.randrange(1, len(words) - 3)
    j = i + rng.randint(1, 3)
    tag = rng.choice(["strong", "em", "b", "i", "span", "a", "mark", "abbr"])
    attr = {"a": f' href="https://example.com/{rng.slug()}"', "span": ' class="highlight"'}.get(tag, "")
    words[i] = f"<{tag}{attr}>{words[i]}"
    words[j - 1] = f"{words[j - 1]}</{tag}>"
    return " ".join(words)


def html_noise(rng, noise):
    """One piece of wrapper markup; its visible text is added to noise."""
    k = rng.randrange(18)
    if k == 0:
        cap = rng.caption()
        noise.append(cap)
        return (f'<figure class="wp-block-image size-large"><img src="https://cdn.example.com/'
                f'{rng.randrange(10**6)}.jpg" alt="{rng.choice(NOUNS)}"/><figcaption>'
                f'{html.escape(cap)}</figcaption></figure>')
    if k == 1:
        heads = [rng.headline() for _ in range(rng.randint(2, 4))]
        noise.extend(heads)
        items = "".join(f'<li><a href="/news/{rng.slug()}">{html.escape(h)}</a></li>' for h in heads)
        label = rng.choice(["Related", "Read more", "More on this story", "You may also like"])
        noise.append(label)
        return (f'<aside class="{rng.choice(["related-posts", "rel-links", "more-stories", "jp-relatedposts"])}">'
                f'<h3>{label}</h3><ul>{items}</ul></aside>')
    if k == 2:
        ad = rng.choice(ADS)
        noise.append(ad)
        return rng.choice([
            f'<div class="ad-slot" id="div-gpt-ad-{rng.randrange(10**9)}-0"><span>{ad}</span></div>',
            f'<div class="advertisement">{ad}</div>',
            f'<div data-ad-unit="/1234/news/article" aria-label="{ad}"><p class="label">{ad}</p></div>',
            f'<p class="ad-label">{ad}</p><ins class="adsbygoogle" data-ad-client="ca-pub-1"></ins>'
            '<script>(adsbygoogle = window.adsbygoogle || []).push({});</script>',
        ])
    if k == 3:
        t, n = rng.choice(TWEETS), rng.name()
        noise.extend([t, n])
        return (f'<blockquote class="twitter-tweet" data-width="550"><p lang="en" dir="ltr">{t}'
                f' <a href="https://t.co/x{rng.randrange(999)}">pic.twitter.com/x</a></p>&mdash; {n} '
                f'(@{n.split()[1].lower()}) <a href="https://twitter.com/x/status/{rng.randrange(10**12)}">'
                'March 3, 2024</a></blockquote> <script async src="https://platform.twitter.com/widgets.js" '
                'charset="utf-8"></script>')
    if k == 4:
        n = rng.name()
        noise.extend([f"A post shared by {n}", "View this post on Instagram"])
        return (f'<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/'
                f'C{rng.randrange(10**6)}/" data-instgrm-version="14"><div><a href="#">View this post on '
                f'Instagram</a><p>A post shared by {n} (@{n.split()[0].lower()})</p></div></blockquote>'
                '<script async src="//www.instagram.com/embed.js"></script>')
    if k == 5:
        t = rng.choice(TWEETS)
        noise.append(t)
        return (f'<blockquote class="tiktok-embed" cite="https://www.tiktok.com/@x/video/1" data-video-id="1">'
                f'<section><a target="_blank" href="https://www.tiktok.com/@x">@x</a> {t} '
                '<a href="#">♬ original sound</a></section></blockquote>'
                '<script async src="https://www.tiktok.com/embed.js"></script>')
    if k == 6:
        return rng.choice([
            '<script>window.dataLayer = window.dataLayer || []; if (a < b && b > c) { track("x"); }</script>',
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Not the story"}</script>',
            '<style>.entry-content p { margin: 0 0 1em; } .x > .y { color: red }</style>',
            '<noscript><img src="https://px.example.com/p.gif" alt="Tracking pixel text"/></noscript>',
            '<template><p>Template text never shown</p></template>',
        ])
    if k == 7:
        return rng.choice(["<!-- wp:paragraph -->", "<!-- /wp:paragraph -->", "<!-- ad slot 3 -->",
                           '<!-- wp:image {"id":123,"sizeSlug":"large"} -->', "<!-- Begin comScore Tag -->"])
    if k == 8:
        h = rng.headline()
        noise.append(h)
        lvl = rng.choice([2, 3, 4])
        return f'<h{lvl} class="wp-block-heading">{html.escape(h)}</h{lvl}>'
    if k == 9:
        nl = rng.choice(NEWSLETTER)
        noise.append(nl)
        return rng.choice([
            f'<div class="newsletter-signup"><p>{nl}</p><form><input type="email" '
            'placeholder="Your email"/><button>Sign up</button></form></div>',
            f'<section class="inline-promo"><p><strong>{nl}</strong></p></section>',
        ])
    if k == 10:
        h = rng.headline()
        noise.append(h)
        lead = rng.choice(["Read more:", "Related:", "READ MORE:", "See also:"])
        return f'<p><strong>{lead}</strong> <a href="/news/{rng.slug()}">{html.escape(h)}</a></p>'
    if k == 11:
        v = rng.headline()
        noise.append(v)
        return (f'<figure class="wp-block-embed is-type-video wp-block-embed-youtube"><div class="wp-block-'
                f'embed__wrapper"><iframe title="{v}" src="https://www.youtube.com/embed/x" '
                f'allowfullscreen></iframe></div><figcaption>{html.escape(v)}</figcaption></figure>')
    if k == 12:
        cap = rng.caption()
        noise.append(cap)
        return (f'<div class="image-wrapper"><picture><source srcset="a.webp"/><img src="a.jpg"/></picture>'
                f'<span class="caption">{html.escape(cap)}</span></div>')
    if k == 13:
        n = rng.name()
        noise.append(n)
        return (f'<div class="author-bio"><p>{n} is a reporter covering {rng.choice(NOUNS)} and '
                f'{rng.choice(PLACES)}.</p></div>')
    if k == 14:
        q = rng.headline()
        noise.append(q)
        return f'<aside class="pullquote"><p>&ldquo;{html.escape(q)}&rdquo;</p></aside>'
    if k == 15:
        n = rng.headline()
        noise.append(n)
        return rng.choice([f'<nav class="breadcrumbs"><a href="/">Home</a> › <a href="/news">{n}</a></nav>',
                           f'<iframe src="https://embed.example.com/poll" title="{n}"></iframe>',
                           f'<object data="chart.svg">{html.escape(n)}</object>'])
    if k == 16:
        t = rng.choice(TWEETS)
        noise.append(t)
        return rng.choice([
            f'<amp-ad width="300" height="250" type="doubleclick"><div fallback>{t}</div></amp-ad>',
            f'<div class="fb-post" data-href="https://www.facebook.com/x/posts/1"><blockquote>{t}</blockquote></div>',
            f'<p><span class="screen-reader-text">{t}</span></p>',
            f'<div class="sr-only">{t}</div>',
            f'<div style="display: none">{t}</div>',
        ])
    return rng.choice(["</div>", "</span>", "<br>", "<hr>", "<p></p>", "<div></div>", "&nbsp;"])


def render_html(title, paras, rng):
    noise = []
    smart = False
    parts = []
    for i, p in enumerate(paras):
        body = inline(esc(p, rng, smart), rng)
        r = rng.random()
        if r < 0.12:
            parts.append(f"<p>{body}")  # unclosed
        elif r < 0.18:
            parts.append(f"<ul><li><p>{body}</p></li></ul>")
        elif r < 0.22:
            parts.append(f"<div>{body}</div>")
        elif r < 0.26:
            parts.append(f'<p class="has-text-align-left" style="margin:0">{body}</p>')
        else:
            parts.append(f"<!-- wp:paragraph -->\n<p>{body}</p>\n<!-- /wp:paragraph -->"
                         if rng.random() < 0.3 else f"<p>{body}</p>")
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            parts.append(html_noise(rng, noise))
    sep = rng.choice(["\n", "\n\n", "", "\r\n"])
    content = sep.join(parts)
    shape = rng.randrange(3)
    if shape == 1:
        n = rng.name()
        cr = f"Copyright {rng.randrange(2000, 2025)} Example News. All rights reserved."
        noise += [f"By {n}", cr]
        content = (f'<div class="article-body entry-content"><header class="entry-header"><h1>{html.escape(title or "")}'
                   f'</h1><p class="byline">By {n}</p></header>{content}<footer class="entry-footer">'
                   f'<p>{cr}</p></footer></div>')
    elif shape == 2:
        noise.append("Skip to content")
        content = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
                   f'{html.escape(title or "")}</title><style>body{{font:16px serif}}</style>'
                   '<script>var x = 1 < 2;</script></head><body><nav><a href="#main">Skip to content</a>'
                   f'</nav><main id="main"><article>{content}</article></main></body></html>')
    return content, noise


def render_ans(aid, title, paras, rng):
    noise = []
    els = []
    for p in paras:
        els.append({"_id": f"T{rng.randrange(10**8)}", "type": "text",
                    "content": inline(esc(p, rng, False), rng)})
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            k = rng.randrange(9)
            if k == 0:
                cap = rng.caption()
                noise.append(cap)
                els.append({"type": "image", "url": "https://cdn.example.com/a.jpg", "caption": cap,
                            "credits": {"by": [{"type": "author", "name": rng.name()}]}})
            elif k == 1:
                ad = rng.choice(ADS)
                noise.append(ad)
                els.append({"type": "raw_html", "content": f'<div class="ad">{ad}</div><script>ads()</script>'})
            elif k == 2:
                h = rng.headline()
                noise.append(h)
                els.append({"type": "interstitial_link", "content": h, "url": f"/news/{rng.slug()}"})
            elif k == 3:
                t = rng.choice(TWEETS)
                noise.append(t)
                els.append({"type": "oembed_response", "subtype": "twitter", "raw_oembed": {
                    "type": "twitter", "html": f'<blockquote class="twitter-tweet"><p>{t}</p></blockquote>'}})
            elif k == 4:
                h = rng.headline()
                noise.append(h)
                els.append({"type": "header", "level": 2, "content": h})
            elif k == 5:
                v = rng.headline()
                noise.append(v)
                els.append({"type": "video", "headlines": {"basic": v}, "description": {"basic": v}})
            elif k == 6:
                heads = [rng.headline() for _ in range(3)]
                noise.extend(heads)
                els.append({"type": "list", "list_type": "unordered", "items": [
                    {"type": "text", "content": f'<a href="/news/{rng.slug()}">{h}</a>'} for h in heads]})
            elif k == 7:
                n = rng.choice(NEWSLETTER)
                noise.append(n)
                els.append({"type": "custom_embed", "subtype": "newsletter", "embed": {"config": {"text": n}}})
            else:
                g = rng.caption()
                noise.append(g)
                els.append({"type": "gallery", "content_elements": [{"type": "image", "caption": g}]})
    story = {"_id": aid, "type": "story", "version": "0.10.9", "canonical_url": f"/news/{aid}",
             "headlines": {"basic": title or ""}, "content_elements": els,
             "credits": {"by": [{"name": rng.name()}]}}
    return json.dumps(story, ensure_ascii=rng.random() < 0.5), noise


def render_ninjs(aid, title, paras, rng):
    noise = []
    r = rng.random()
    doc = {"uri": f"urn:example:{aid}", "type": "text", "version": "2.0",
           "language": "en", "firstcreated": "2024-03-03T10:00:00Z"}
    if r < 0.6:
        hbody, noise = render_html(title, paras, rng)
        doc["headlines"] = [{"role": "main", "value": title or ""}]
        doc["bodies"] = [{"role": "summary", "contenttype": "text/plain", "value": "Not the body."},
                         {"role": "main", "contenttype": "text/html", "value": hbody}]
        noise.append("Not the body.")
    elif r < 0.8:
        hbody, noise = render_html(title, paras, rng)
        key = rng.choice(["body_html", "body_xhtml"])
        doc = {"uri": f"urn:example:{aid}", "type": "text", "headline": title or "", key: hbody}
    else:
        doc = {"uri": f"urn:example:{aid}", "type": "text", "headline": title or "",
               "body_text": "\n\n".join(paras)}
    return json.dumps(doc, ensure_ascii=rng.random() < 0.5), noise


def render_wire(aid, title, paras, rng):
    noise = []
    width = rng.randint(60, 72)
    indent = rng.random() < 0.4
    lines = []
    slug = f"BC-{rng.choice(['US', 'EU', 'AS', 'AF'])}--{aid.replace('_', '-')[:20]},{rng.randint(1, 3)}st Ld-Writethru,0{rng.randint(300, 999)}"
    noise.append(slug)
    lines += [slug]
    if rng.random() < 0.5:
        lines += [f"^{(title or 'Story')[:50]}^"]
        noise.append(f"^{(title or 'Story')[:50]}^")
    lines += [""]
    for i, p in enumerate(paras):
        w = textwrap.wrap(p, width=width, initial_indent="   " if indent else "",
                          break_long_words=False)
        lines += w
        if not indent or rng.random() < 0.3:
            lines.append("")
        if i and rng.random() < 0.08:
            m = rng.choice(["(MORE)", "ADVERTISEMENT", "-0-"])
            noise.append(m)
            lines += [m, ""]
    if rng.random() < 0.3:
        cr = f"(Reporting by {rng.name()}; Editing by {rng.name()})"
        noise.append(cr)
        lines += [cr]
    if rng.random() < 0.2:
        lines += ["___", ""]
    end = rng.choice(["(END)", "-0-", "###", "(MORE)"])
    code = f"AP-NY-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}-24 {rng.randint(1000, 2359)}GMT"
    noise += [end, code]
    lines += [end, code]
    return "\n".join(lines) + "\n", noise


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs", nargs="+", help="lede-eval JSONL files")
    ap.add_argument("--limit", type=int, default=0, help="articles per file (0: all)")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--forms", default="text,html,ans,ninjs,wire")
    a = ap.parse_args()
    rng = Rng(a.seed)
    forms = a.forms.split(",")
    for path in a.inputs:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f):
                if a.limit and n >= a.limit:
                    break
                rec = json.loads(line)
                aid, title = rec["id"], rec.get("title")
                paras = [p.strip() for p in rec["article"].split("\n") if p.strip()]
                for form in forms:
                    out = {"id": f"{aid}#{form}", "article_id": aid, "form": form}
                    if form == "text":
                        body, noise, fmt = "\n".join(paras), [], "text"
                    elif form == "html":
                        (body, noise), fmt = render_html(title, paras, rng), "html"
                    elif form == "ans":
                        (body, noise), fmt = render_ans(aid, title, paras, rng), "ans"
                    elif form == "ninjs":
                        (body, noise), fmt = render_ninjs(aid, title, paras, rng), "ninjs"
                    else:
                        (body, noise), fmt = render_wire(aid, title, paras, rng), "text"
                    # Half the calls name their format, half leave it to the sniffer.
                    if rng.random() < 0.5:
                        out["format"] = fmt
                    # ANS and ninjs carry their headline; the others are sent with the title.
                    if title and form not in ("ans", "ninjs"):
                        out["title"] = title
                    out["article"] = body
                    out["noise"] = sorted(set(noise))
                    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
