"""Write the HTML test corpus: each article of ``articles.py`` in the markup of one
kind of site (a Guardian-like paper, a BBC-like broadcaster, a wire service, a
WordPress local paper, a personal blog, a paywalled teaser, an AMP page, a Yoast
JSON-LD blog, a magazine, a university news page), with the chrome such sites carry,
and ``truth.jsonl`` with each page's true title, authors, date, body and caption.

Run from anywhere: ``python tests/data/html/build.py``. The pages are invented.
"""

from __future__ import annotations

import json
from datetime import date as Date
from html import escape
from pathlib import Path

from articles import ARTICLES

HERE = Path(__file__).resolve().parent


def paragraphs(body: list[str]) -> str:
    # A short line without a full stop is a subheading.
    return "\n".join(
        f"<h2>{escape(p)}</h2>" if len(p) < 40 and not p.endswith(".") else f"<p>{escape(p)}</p>" for p in body
    )


def long_date(iso: str) -> str:
    d = Date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B %Y')}"


def us_date(iso: str) -> str:
    d = Date.fromisoformat(iso)
    return f"{d.strftime('%B')} {d.day}, {d.year}"


def joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def slug(title: str) -> str:
    return "-".join("".join(c for c in w.lower() if c.isalnum()) for w in title.split()[:6])


COOKIE = """<div id="cmp-banner" class="consent-banner" role="dialog"><p>We use cookies and similar technologies to
personalise content and ads, to provide social media features and to analyse our traffic. You can change your
choices at any time by visiting Privacy settings.</p><button>Accept all</button> <button>Manage preferences</button></div>"""


def guardian(a: dict, n: int) -> str:
    url = f"https://www.the-chronicle.example/uk-news/{a['date'].replace('-', '/')}/{slug(a['title'])}"
    bylines = " and ".join(f'<a rel="author" href="/profile/{slug(x)}">{escape(x)}</a>' for x in a["authors"])
    figure = (f'<figure class="lead"><img src="/img/{n}.jpg" alt=""><figcaption><span>{escape(a["caption"])}.</span> '
              f'<span class="credit">Photograph: Jon Barrow/The Chronicle</span></figcaption></figure>') if a["caption"] else ""
    body = a["body"]
    middle = len(body) // 2
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>{escape(a['title'])} | UK news | The Chronicle</title>
<meta property="og:title" content="{escape(a['title'])}">
<meta property="og:site_name" content="The Chronicle">
<meta property="og:type" content="article">
<meta property="article:published_time" content="{a['date']}T06:00:12.000Z">
<link rel="canonical" href="{url}">
<script>window.guardianLike = {{"page": "article", "ab": [1,2,3]}};</script>
</head><body>
{COOKIE}
<header class="site-header"><a class="logo" href="/">The Chronicle</a>
<nav><ul><li><a href="/news">News</a></li><li><a href="/opinion">Opinion</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/culture">Culture</a></li><li><a href="/lifestyle">Lifestyle</a></li></ul></nav>
<a class="support" href="/support">Support us</a></header>
<main><article>
<header><div class="section-label"><a href="/uk-news">UK news</a></div>
<h1>{escape(a['title'])}</h1>
{figure}
<div class="meta"><address>{bylines}</address>
<time datetime="{a['date']}T06:00:12.000Z">{long_date(a['date'])} 06.00 GMT</time>
<div class="share"><a href="#">Share on Facebook</a><a href="#">Share on X</a></div></div>
</header>
<div class="article-body">
{paragraphs(body[:middle])}
<aside class="epic"><h2>Support the Chronicle</h2><p>Before you move on, we have a small favour to ask. Millions of readers
rely on our independent journalism, which is free from commercial and political influence. Support us from just £2.</p>
<a href="/contribute">Support the Chronicle</a></aside>
{paragraphs(body[middle:])}
</div>
<div class="tags"><a href="/weather">Weather</a> <a href="/uk">UK</a></div>
</article>
<section class="most-viewed"><h2>Most viewed</h2><ol>
<li><a href="#">Minister resigns over leaked messages as pressure grows on government</a></li>
<li><a href="#">The ten best walks in the Lake District, chosen by readers</a></li>
<li><a href="#">Live: Premier League clash ends in late drama at the Emirates</a></li></ol></section>
</main>
<footer><ul><li><a href="#">About us</a></li><li><a href="#">Contact us</a></li><li><a href="#">Privacy policy</a></li></ul>
<p>© 2024 The Chronicle News &amp; Media Limited or its affiliated companies. All rights reserved.</p></footer>
</body></html>"""


def bbc(a: dict, n: int) -> str:
    ld = {"@context": "https://schema.org", "@type": "ReportageNewsArticle", "headline": a["title"],
          "datePublished": f"{a['date']}T18:02:11Z", "dateModified": f"{a['date']}T19:40:00Z",
          "author": {"@type": "NewsMediaOrganization", "name": "Broadcast News"},
          "publisher": {"@type": "NewsMediaOrganization", "name": "Broadcast News"}}
    figure = (f'<figure><div class="image"><img src="/i/{n}.jpg" alt=""><span class="copyright">Getty Images</span></div>'
              f'<figcaption>{escape(a["caption"])}</figcaption></figure>') if a["caption"] else ""
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>{escape(a['title'])} - Broadcast News</title>
<meta name="description" content="{escape(a['body'][0][:120])}">
<meta property="og:site_name" content="Broadcast News">
<link rel="canonical" href="https://www.broadcast.example/news/uk-{67000000 + n}">
<script type="application/ld+json">{json.dumps(ld)}</script>
</head><body>
<a href="#main-content" class="skip">Skip to content</a>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/weather">Weather</a></li><li><a href="/iplayer">Watch</a></li><li><a href="/sounds">Sounds</a></li></ul></nav></header>
<div id="cookie-prompt"><p>Let us know you agree to cookies. We use cookies to give you the best online experience.
Please let us know if you agree to all of these cookies.</p><a href="#">Yes, I agree</a><a href="#">No, take me to settings</a></div>
<main id="main-content"><article>
<header><h1 id="main-heading">{escape(a['title'])}</h1></header>
<div class="byline"><time datetime="{a['date']}T18:02:11.000Z">{long_date(a['date'])}</time>
<div><span class="author">By {escape(joined(a['authors']))}</span><span class="role">Environment correspondent, Broadcast News</span></div></div>
{figure}
{paragraphs(a['body'])}
<section class="related-topics"><h2>Related topics</h2><ul><li><a href="#">Weather</a></li><li><a href="#">Transport</a></li></ul></section>
</article>
<section><h2>Top stories</h2><ul><li><a href="#">Prime minister faces questions over spending plans</a></li>
<li><a href="#">Live: Markets react to interest rate decision</a></li></ul></section>
<section><h2>More to explore</h2><ul><li><a href="#">The village that lost its post office and got it back</a></li></ul></section>
</main>
<footer><p>Copyright 2024 Broadcast News. Broadcast News is not responsible for the content of external sites.
Read about our approach to external linking.</p></footer>
</body></html>"""


def wire(a: dict, n: int) -> str:
    stamp = f"{a['date']}T11:47:03+00:00"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(a['title'])} | Wire Service</title>
<meta name="author" content="{escape(', '.join(a['authors']))}">
<meta property="og:title" content="{escape(a['title'])}">
<meta property="og:site_name" content="Wire Service">
<meta property="og:url" content="https://www.wire.example/markets/{slug(a['title'])}-{a['date']}/">
<meta property="article:published_time" content="{stamp}">
</head><body>
<div class="cookie-consent"><p>By clicking Accept All Cookies, you agree to the storing of cookies on your device to
enhance site navigation, analyze site usage, and assist in our marketing efforts.</p><button>Accept All Cookies</button></div>
<header><nav><a href="/world">World</a> <a href="/business">Business</a> <a href="/markets">Markets</a>
<a href="/sustainability">Sustainability</a> <a href="/legal">Legal</a> <a href="/breakingviews">Breakingviews</a></nav></header>
<main><article>
<h1>{escape(a['title'])}</h1>
<div class="article-header__info"><div class="byline">By <a href="/authors/{slug(a['authors'][0])}">{escape(a['authors'][0])}</a>{''.join(f' and <a href="#">{escape(x)}</a>' for x in a['authors'][1:])}</div>
<time datetime="{stamp}">{us_date(a['date'])} 11:47 AM UTC</time><span class="updated">Updated 2 hours ago</span></div>
<div class="article-body">
{paragraphs(a['body'])}
</div>
<div class="trust"><p>Our Standards: The Wire Service Trust Principles.</p></div>
</article>
<aside class="related-coverage"><h2>Read Next</h2><ul>
<li><a href="#">Gold hits record as traders bet on rate cuts</a></li>
<li><a href="#">Factory activity in euro zone shrinks for tenth month</a></li></ul></aside>
</main>
<footer><p>All quotes delayed a minimum of 15 minutes. See here for a complete list of exchanges and delays.</p>
<p>© 2024 Wire Service. All rights reserved</p></footer>
</body></html>"""


def wordpress(a: dict, n: int) -> str:
    author = a["authors"][0]
    figure = (f'<figure class="wp-block-image size-large"><img src="/wp-content/uploads/2024/{n}.jpg" alt="">'
              f'<figcaption class="wp-element-caption">{escape(a["caption"])}. (Photo by Dale Rivers/Valley Gazette)</figcaption></figure>') if a["caption"] else ""
    return f"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="UTF-8">
<title>{escape(a['title'])} &#8211; The Valley Gazette</title>
<meta name="generator" content="WordPress 6.4.3">
<link rel="canonical" href="https://valleygazette.example/{a['date'].replace('-', '/')}/{slug(a['title'])}/">
<link rel="stylesheet" href="/wp-content/themes/newsup/style.css">
</head><body class="post-template-default single single-post">
<div id="page" class="site"><a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<header id="masthead" class="site-header"><p class="site-title"><a href="/">The Valley Gazette</a></p>
<p class="site-description">News for Lincoln County since 1911</p>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">
<li><a href="/category/news/">News</a></li><li><a href="/category/sports/">Sports</a></li><li><a href="/category/obituaries/">Obituaries</a></li>
<li><a href="/category/opinion/">Opinion</a></li><li><a href="/e-edition/">E-Edition</a></li></ul></nav></header>
<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main">
<article id="post-{1000 + n}" class="post-{1000 + n} post type-post status-publish format-standard hentry category-news">
<header class="entry-header"><h1 class="entry-title">{escape(a['title'])}</h1>
<div class="entry-meta"><span class="posted-on">Posted on <a href="#" rel="bookmark"><time class="entry-date published" datetime="{a['date']}T09:15:00-05:00">{us_date(a['date'])}</time><time class="updated" datetime="{a['date']}T13:02:00-05:00">{us_date(a['date'])}</time></a></span>
<span class="byline"> by <span class="author vcard"><a class="url fn n" href="/author/{slug(author)}/">{escape(author)}</a></span></span></div>
</header>
<div class="entry-content">
{figure}
{paragraphs(a['body'])}
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3><ul><li><a href="#">Click to share on Facebook (Opens in new window)</a></li>
<li><a href="#">Click to share on X (Opens in new window)</a></li><li><a href="#">Click to email a link to a friend</a></li></ul></div>
<div class="sharedaddy sd-like"><h3 class="sd-title">Like this:</h3><p>Like Loading...</p></div>
<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>Related</em></h3>
<p><a href="#">County fair returns with new livestock barn</a> In "News"</p><p><a href="#">School board approves new bus routes</a> In "News"</p></div>
</div>
<footer class="entry-footer"><span class="cat-links">Posted in <a href="#" rel="category tag">News</a></span>
<span class="tags-links">Tagged <a href="#" rel="tag">local</a>, <a href="#" rel="tag">county</a></span></footer>
</article>
<nav class="navigation post-navigation"><h2 class="screen-reader-text">Post navigation</h2>
<div class="nav-previous"><a href="#" rel="prev">Previous post: Library book sale raises $3,000</a></div></nav>
<div id="comments" class="comments-area"><h2 class="comments-title">2 thoughts on &ldquo;{escape(a['title'])}&rdquo;</h2>
<ol class="comment-list"><li class="comment"><article class="comment-body"><footer class="comment-meta"><b class="fn">Bill R.</b> says:
<time datetime="{a['date']}T20:11:00-05:00">{us_date(a['date'])} at 8:11 pm</time></footer>
<div class="comment-content"><p>About time somebody did something about this. I have lived here for thirty years and it has never been this bad.</p></div></article></li>
<li class="comment"><article class="comment-body"><footer class="comment-meta"><b class="fn">Karen</b> says:</footer>
<div class="comment-content"><p>Thanks for the story, very helpful for those of us who commute every day.</p></div></article></li></ol>
<div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>
<form><p class="comment-notes">Your email address will not be published. Required fields are marked *</p><textarea></textarea></form></div></div>
</main></div>
<aside id="secondary" class="widget-area"><section class="widget widget_search"><form><input type="search"></form></section>
<section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2><ul>
<li><a href="#">Library book sale raises $3,000</a></li><li><a href="#">Obituary: Harold J. Mertz, 88</a></li>
<li><a href="#">Storm damage cleanup continues on east side</a></li></ul></section>
<section class="widget widget_archive"><h2 class="widget-title">Archives</h2><ul><li><a href="#">May 2024</a></li><li><a href="#">April 2024</a></li></ul></section>
</aside></div>
<footer id="colophon" class="site-footer"><div class="site-info"><a href="https://wordpress.org/">Proudly powered by WordPress</a>
<span class="sep"> | </span>Theme: NewsUp by Themeansar.</div></footer></div>
</body></html>"""


def blog(a: dict, n: int) -> str:
    author = a["authors"][0]
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>{escape(a['title'])} | Notes from a small flat</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head><body>
<div class="wrapper"><div class="header"><a href="/">Notes from a small flat</a> <span>a blog about slow living</span>
<div class="menu"><a href="/about">About</a> · <a href="/archive">Archive</a> · <a href="/feed.xml">RSS</a></div></div>
<div class="post">
<h1 class="post-title">{escape(a['title'])}</h1>
<p class="post-meta">By {escape(author)}</p>
<p class="post-date">Posted {long_date(a['date'])}</p>
{paragraphs(a['body'])}
<p class="post-tags">Filed under: <a href="#">thrift</a>, <a href="#">habits</a></p>
</div>
<div class="comments"><h3>3 comments</h3>
<div class="comment"><p class="comment-author">Sam</p><p>Lovely post, this is exactly what I needed to read today. Thank you for sharing it with us.</p></div>
<div class="comment"><p class="comment-author">{escape(author)}</p><p>Thanks Sam! Glad it was useful.</p></div></div>
<div class="footer"><p>© {a['date'][:4]} {escape(author)}. Powered by a static site generator and too much coffee.</p>
<p><a href="/subscribe">Subscribe by email</a> · <a href="/feed.xml">Subscribe via RSS</a></p></div></div>
</body></html>"""


def paywall(a: dict, n: int) -> str:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": a["title"],
          "datePublished": f"{a['date']}T05:00:00+01:00", "isAccessibleForFree": False,
          "author": [{"@type": "Person", "name": x, "url": f"https://www.ledger.example/authors/{slug(x)}", "jobTitle": "Business Correspondent"} for x in a["authors"]],
          "publisher": {"@type": "Organization", "name": "The Ledger"},
          "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".paywalled"}}
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(a['title'])} | The Ledger</title>
<meta property="og:title" content="{escape(a['title'])}">
<meta property="og:site_name" content="The Ledger">
<meta property="og:url" content="https://www.ledger.example/business/{slug(a['title'])}">
<script type="application/ld+json">{json.dumps(ld)}</script>
</head><body>
<header><a href="/">The Ledger</a><nav><a href="/business">Business</a> <a href="/politics">Politics</a> <a href="/money">Money</a></nav>
<a class="login" href="/login">Log in</a><a class="subscribe" href="/subscribe">Subscribe</a></header>
<main><article>
<h1>{escape(a['title'])}</h1>
<p class="byline">{' and '.join(f'<a href="/authors/{slug(x)}">{escape(x)}</a>' for x in a['authors'])}, Business Correspondent</p>
<time datetime="{a['date']}T05:00:00+01:00">{long_date(a['date'])} 5:00am</time>
<div class="article-body">
{paragraphs(a['body'])}
</div>
<div class="paywalled"><div class="paywall-box"><h2>Subscribe to keep reading</h2>
<p>This article is for subscribers only. Get unlimited access to award-winning journalism, the daily puzzle and the app.</p>
<p>Subscribe from £1 a week for the first three months. Cancel anytime.</p>
<a href="/subscribe">Subscribe now</a><p>Already a subscriber? <a href="/login">Log in</a></p></div></div>
</article></main>
<footer><p>© The Ledger Ltd 2024. Registered in England No. 1234567. Terms and conditions. Privacy notice.</p></footer>
</body></html>"""


def amp(a: dict, n: int) -> str:
    ld = {"@context": "http://schema.org", "@type": "NewsArticle", "mainEntityOfPage": f"https://coastnews.example/story/{n}",
          "headline": a["title"], "datePublished": f"{a['date']}T07:30:00+02:00", "dateModified": f"{a['date']}T09:00:00+02:00",
          "author": [{"@type": "Person", "name": x} for x in a["authors"]],
          "publisher": {"@type": "Organization", "name": "Coast News", "logo": {"@type": "ImageObject", "url": "https://coastnews.example/logo.png"}},
          "image": [f"https://coastnews.example/img/{n}.jpg"]}
    figure = (f'<figure><amp-img src="/img/{n}.jpg" width="1200" height="675" layout="responsive"></amp-img>'
              f'<figcaption>{escape(a["caption"])} <small>Photo: Nikos Andreou</small></figcaption></figure>') if a["caption"] else ""
    return f"""<!doctype html>
<html ⚡ lang="en"><head><meta charset="utf-8">
<script async src="https://cdn.ampproject.org/v0.js"></script>
<title>{escape(a['title'])}</title>
<link rel="canonical" href="https://coastnews.example/story/{n}">
<meta name="viewport" content="width=device-width">
<script type="application/ld+json">{json.dumps(ld)}</script>
<style amp-boilerplate>body{{-webkit-animation:-amp-start 8s steps(1,end) 0s 1 normal both}}</style>
</head><body>
<amp-consent id="consent" layout="nodisplay"><div class="consent-ui"><p>This site uses cookies to improve your experience
and to show you personalised advertising.</p><button on="tap:consent.accept">Accept</button></div></amp-consent>
<header class="amp-header"><a href="/">Coast News</a><button on="tap:sidebar.toggle">Menu</button></header>
<amp-sidebar id="sidebar" layout="nodisplay"><ul><li><a href="/">Home</a></li><li><a href="/local">Local</a></li><li><a href="/weather">Weather</a></li></ul></amp-sidebar>
<article class="amp-article">
<h1 class="amp-title">{escape(a['title'])}</h1>
<div class="amp-byline">{' and '.join(f'<span class="author">{escape(x)}</span>' for x in a['authors'])} · <time datetime="{a['date']}T07:30:00+02:00">{long_date(a['date'])}</time></div>
{figure}
{paragraphs(a['body'][:1])}
<amp-ad width="300" height="250" type="doubleclick" data-slot="/1234/coast/article"><div fallback>Advertisement</div></amp-ad>
{paragraphs(a['body'][1:])}
<amp-social-share type="facebook"></amp-social-share><amp-social-share type="twitter"></amp-social-share>
</article>
<div class="amp-related"><h2>More from Coast News</h2><ul><li><a href="#">Beach cleanup draws hundreds of volunteers</a></li>
<li><a href="#">Harbour master warns of strong currents this weekend</a></li></ul></div>
<footer class="amp-footer"><p>© 2024 Coast News. <a href="https://coastnews.example/story/{n}">View non-AMP version</a></p></footer>
</body></html>"""


def yoast(a: dict, n: int) -> str:
    base = "https://makersjournal.example"
    url = f"{base}/{slug(a['title'])}/"
    people = [{"@type": "Person", "@id": f"{base}/#/schema/person/{i}", "name": x,
               "description": f"{x} writes about craft and the people who keep it alive."} for i, x in enumerate(a["authors"])]
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "Article", "@id": f"{url}#article", "isPartOf": {"@id": url},
         "author": [{"@id": p["@id"], "name": p["name"]} for p in people] if len(people) > 1 else {"@id": people[0]["@id"]},
         "headline": a["title"], "datePublished": f"{a['date']}T08:00:00+00:00", "dateModified": f"{a['date']}T08:00:00+00:00",
         "publisher": {"@id": f"{base}/#organization"}},
        {"@type": "WebPage", "@id": url, "url": url, "name": f"{a['title']} - The Makers' Journal"},
        {"@type": "Organization", "@id": f"{base}/#organization", "name": "The Makers' Journal"},
        *people]}
    figure = (f'<figure class="wp-caption"><img src="/uploads/{n}.jpg" alt=""><figcaption class="wp-caption-text">{escape(a["caption"])}. '
              f'Photo: Ifeoma Adeyemi / AFP</figcaption></figure>') if a["caption"] else ""
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="UTF-8">
<title>{escape(a['title'])} - The Makers' Journal</title>
<link rel="canonical" href="{url}">
<meta property="og:locale" content="en_GB">
<meta property="og:type" content="article">
<meta property="og:title" content="{escape(a['title'])} - The Makers' Journal">
<meta property="og:url" content="{url}">
<meta property="og:site_name" content="The Makers' Journal">
<meta property="article:published_time" content="{a['date']}T08:00:00+00:00">
<script type="application/ld+json" class="yoast-schema-graph">{json.dumps(graph)}</script>
</head><body>
<div class="top-bar"><p>Free UK delivery on print subscriptions this month. <a href="#">Find out more</a></p></div>
<header class="site-header"><a href="/" class="site-title">The Makers' Journal</a>
<nav><ul><li><a href="/stories">Stories</a></li><li><a href="/guides">Guides</a></li><li><a href="/shop">Shop</a></li></ul></nav></header>
<main><article class="post">
<header class="entry-header"><h1 class="entry-title">{escape(a['title'])}</h1>
<div class="entry-meta">By {' &amp; '.join(f'<a href="#">{escape(x)}</a>' for x in a['authors'])} · {long_date(a['date'])} · 6 min read</div></header>
<div class="entry-content">
{figure}
{paragraphs(a['body'])}
</div>
<div class="newsletter-signup"><h3>Get the Journal in your inbox</h3><p>Sign up for our weekly newsletter of stories, guides and events.</p>
<form><input type="email" placeholder="Your email"><button>Sign up</button></form></div>
<div class="author-bio"><img src="/a.jpg" alt=""><p><strong>{escape(a['authors'][0])}</strong> writes about craft and the people who keep it alive.
Their first book is out next spring.</p></div>
</article>
<section class="related-posts"><h2>You might also like</h2><ul><li><a href="#">The last clog maker in Lancashire</a></li>
<li><a href="#">Why we still need blacksmiths</a></li><li><a href="#">A guide to sharpening your chisels</a></li></ul></section>
</main>
<footer><p>© 2024 The Makers' Journal. Made in Bristol.</p><p><a href="#">Privacy</a> · <a href="#">Cookies</a></p></footer>
</body></html>"""


def magazine(a: dict, n: int) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(a['title'])} | Field Notes Magazine</title>
<meta property="og:title" content="{escape(a['title'])}">
<meta property="og:site_name" content="Field Notes Magazine">
<meta property="article:published_time" content="{a['date']}">
<meta property="article:section" content="Features">
</head><body>
<div class="gdpr-notice"><p>This website uses cookies to ensure you get the best experience. <a href="#">Learn more</a></p><a href="#">Got it!</a></div>
<header><div class="masthead">Field Notes Magazine</div><nav><a href="/features">Features</a> <a href="/reviews">Reviews</a> <a href="/podcast">Podcast</a> <a href="/subscribe">Subscribe</a></nav></header>
<div class="container"><div class="story">
<div class="kicker">Features</div>
<h1>{escape(a['title'])}</h1>
<p class="story-byline">By {escape(joined(a['authors']))}</p>
<div class="story-text">
{paragraphs(a['body'][:2])}
<div class="inline-newsletter"><p><strong>Enjoying this story?</strong> Get Field Notes in your inbox every Sunday. <a href="#">Sign up here</a>.</p></div>
{paragraphs(a['body'][2:])}
</div>
<div class="story-footer"><p>This story appeared in the spring issue of Field Notes Magazine. <a href="#">Subscribe to the print edition</a>.</p></div>
<div class="contributors"><p>{escape(a['authors'][0])} is a senior editor at Field Notes. {escape(a['authors'][1])} is a freelance writer based in Glasgow.</p></div>
</div>
<div class="sidebar"><h3>Popular</h3><ul><li><a href="#">The best hiking boots of the year, tested</a></li><li><a href="#">Ten islands worth the ferry ride</a></li></ul></div>
</div>
<footer><p>Field Notes Magazine is published by Field Notes Media Ltd. © 2024.</p></footer>
</body></html>"""


def university(a: dict, n: int) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(a['title'])} - News - University of Westmoor</title>
<meta name="description" content="{escape(a['body'][0][:150])}">
</head><body>
<a class="skip" href="#content">Skip to main content</a>
<header class="uni-header"><a href="/">University of Westmoor</a>
<nav class="primary"><ul><li><a href="/study">Study</a></li><li><a href="/research">Research</a></li><li><a href="/about">About</a></li><li><a href="/news">News</a></li></ul></nav>
<form class="search"><input type="search" placeholder="Search the site"></form></header>
<nav class="breadcrumbs"><ol><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li>{escape(a['title'])}</li></ol></nav>
<div id="content" class="content">
<h1>{escape(a['title'])}</h1>
<p class="news-date">Published: {long_date(a['date'])}</p>
{paragraphs(a['body'])}
<div class="media-contact"><h3>Media contact</h3><p>Press Office, press@westmoor.example, 01234 567890</p></div>
<div class="share-this"><p>Share this page:</p><a href="#">Facebook</a> <a href="#">X</a> <a href="#">LinkedIn</a></div>
</div>
<aside class="latest-news"><h2>Latest news</h2><ul><li><a href="#">Westmoor climbs in world rankings</a></li><li><a href="#">New vice-chancellor appointed</a></li></ul></aside>
<footer class="uni-footer"><p>University of Westmoor, Westmoor Road, WM1 1AA. Registered charity number 1234567.</p>
<ul><li><a href="#">Accessibility</a></li><li><a href="#">Freedom of information</a></li><li><a href="#">Cookies</a></li></ul></footer>
</body></html>"""


PLAN = [
    (guardian, [0, 1, 2]), (bbc, [3, 4, 28]), (wire, [5, 6, 7]), (wordpress, [8, 9, 10]), (blog, [11, 12, 13]),
    (paywall, [14, 15, 16]), (amp, [17, 18, 19]), (yoast, [20, 21, 29]), (magazine, [22, 23, 24]), (university, [25, 26, 27]),
]
PUBLISHERS = {"guardian": "The Chronicle", "bbc": "Broadcast News", "wire": "Wire Service", "wordpress": None, "blog": None,
              "paywall": "The Ledger", "amp": "Coast News", "yoast": "The Makers' Journal", "magazine": "Field Notes Magazine", "university": None}


def main() -> None:
    truth = []
    for template, numbers in PLAN:
        for n in numbers:
            a = ARTICLES[n]
            name = f"{n:02d}-{template.__name__}.html"
            (HERE / name).write_text(template(a, n), encoding="utf-8")
            truth.append({"file": name, "site": template.__name__, "title": a["title"], "authors": a["authors"],
                          "date": a["date"], "publisher": PUBLISHERS[template.__name__], "body": a["body"],
                          "caption": a["caption"]})
    truth.sort(key=lambda t: t["file"])
    with open(HERE / "truth.jsonl", "w", encoding="utf-8") as fh:
        for record in truth:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
