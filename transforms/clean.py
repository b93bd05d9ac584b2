"""Remove what is not the article from extracted text; keep what the noise tells as metadata.

Every rule is general (a kind of noise, not a site's string) and works line by line on
paragraphs, so it applies to trafilatura's output and to plain-text feed content alike.
Interstitial and UI phrases only match a whole short line: a sentence that merely quotes
"please wait" is never cut. Every removal is returned with its rule, for the audit table.
"""
from __future__ import annotations

import re
import unicodedata

from transforms.records import Cleaned, Removal

# Whole-line interstitials: JS/cookie/anti-bot walls and loading banners.
_INTERSTITIAL = re.compile(
    r"^(?:no ?script|please wait|loading|just a moment|one moment,? please"
    r"|checking your browser(?: before accessing)?(?: [\w.-]+)?"
    r"|javascript is (?:disabled|required|not enabled)(?: in your browser)?"
    r"|(?:please )?enable javascript(?: (?:in your browser|to (?:continue|view|run) [\w ]{1,40}))?"
    r"|you need to enable javascript to run this app|this (?:site|page) requires javascript"
    r"|your browser (?:is out of date|does not support \w+)"
    r"|we use cookies(?: on this (?:site|website))?|accept (?:all )?cookies)"
    r"[\s.!…]*$",
    re.IGNORECASE,
)

# Notes on how the article was made, which sites print on every article: a review badge ("Medically
# reviewed by ...", "Fact-checked by ..." opening its line; onmeda's "Dieser Text entspricht den
# Vorgaben der ärztlichen Fachliteratur ... und wurde von Medizinern geprüft") and Reuters' standards
# footer; an affiliate-link disclosure ("This post may contain affiliate links.", "As an Amazon
# Associate I earn ...", "Dieser Artikel kann Links zu Anbietern enthalten, von denen ... eine
# Provision erhält", "The links below are Amazon affiliate links."), and a sponsorship disclosure
# ("*Disclosure: This is a sponsored post that is part of an ongoing partnership with ..."). A
# sentence that a text "was reviewed by" someone, or that a site "contains affiliate links", stays:
# only these openings count.
_EDITORIAL_NOTE = re.compile(
    r"^(?:medically|clinically|medical(?:ly)? and legally) reviewed by\b|^fact[- ]?checked by\b"
    r"|^this (?:post|article|page|video|review|guide) (?:may )?(?:contains?|includes?) affiliated? links?\b"
    r"|^(?:the |some (?:of the )?)?links (?:below |in this (?:post|article) )?are (?:amazon )?affiliate links\b"
    r"|^\*?(?:disclosure:\s*)?this (?:is|was) a sponsored (?:post|article|story|video)\b"
    r"|^as an amazon associate,? (?:i|we) earn\b|^dieser (?:artikel|beitrag|text) (?:kann|enthält)\b[^.]{0,80}\b(?:provision|affiliate)"
    r"|^dieser (?:text|artikel|beitrag) (?:entspricht den (?:vorgaben|anforderungen|richtlinien)"
    r"|wurde von (?:medizinern|ärzten|ärztinnen|fachärzten|fachärztinnen|experten|expertinnen)\b[^.]{0,40} geprüft)"
    r"|^our standards: the thomson reuters trust principles\.?$",
    re.IGNORECASE,
)
# Consent placeholders standing in for embedded videos, maps and posts (cookie-consent plugins).
_EMBED_CONSENT = re.compile(
    r"(?:click (?:on )?the button (?:below )?to load the content (?:of|from)|klicken sie auf den (?:unteren )?button,? um den inhalt"
    r"|mit dem laden des inhalts akzeptieren sie|wenn sie dieses video (?:hier )?abspielen, (?:erfolgt|werden)"
    r"|by loading the (?:video|content),? you (?:agree|accept)|cliquez sur le bouton (?:ci-dessous )?pour charger le contenu)",
    re.IGNORECASE,
)
# Words that mix Latin and Cyrillic letters: text obfuscated with look-alike letters (ad copy
# slipped past filters); no language writes words that way.
_MIXED_SCRIPT = re.compile(r"\b(?=\w*[a-zA-Z])(?=\w*[\u0400-\u04ff])\w+\b")

# Lines of code listings: no cleaning rule reads them as page furniture.
_CODE_CHARS = re.compile(r"[{}\[\]()<>;=$`|\\]")
# closes a block, is a tag, a JSON key, a line comment or a shell command after its prompt
# ("$ bundle install"); opens a block, ends a statement or an entry of a literal; an arrow; a call;
# a template variable
_CODE_SHAPE = re.compile(r"""^(?:[}\])]|</?[A-Za-z][^>]*>$|"[^"]*"\s*:|//|\$\s+[a-z.\/~])|(?:[{\[(;=]|['"`],)$|=>|\w\(\)|\$\{""")

# Icon-font ligatures (Material Icons and friends) that leak into text as words.
_ICON_WORDS = (
    "access_time|account_circle|arrow_back|arrow_forward|bookmark_border|calendar_today|"
    "chat_bubble|chat_bubble_outline|chevron_left|chevron_right|content_copy|date_range|"
    "expand_less|expand_more|favorite_border|folder_open|keyboard_arrow_down|"
    "keyboard_arrow_left|keyboard_arrow_right|keyboard_arrow_up|local_offer|location_on|"
    "mode_comment|navigate_next|open_in_new|query_builder|remove_red_eye|thumb_up|"
    "visibility|watch_later|schedule|bookmark|favorite|folder|comment|share|star|person|"
    "event|today|label|print|email|mail|search|menu|close|update|link|home|place"
)
# A line that starts with an icon word glued to the label that follows it ("folder_openMore",
# "access_time3 months", "starAdd"), or with any snake_case token glued likewise. Not "folder1/",
# "person2" or "date_to_rfc822" inside a line, nor a line with ":" or "=" ("emailValid: false,",
# "printOutput f = ..."): identifiers in code and commands.
_ICON_GLUED = re.compile(rf"^(?=[^:=]*$)(?:(?:{_ICON_WORDS})|[a-z]+(?:_[a-z]+)+)(?=[A-Z]|\d+\s)")
_ICON_ALONE = re.compile(rf"^(?:(?:{_ICON_WORDS})\b\s*)+$")

# Whole-line UI chrome: share bars, favourites, reading time, comment counters.
_UI_LINE = re.compile(
    r"^(?:add to (?:favou?rites|bookmarks|reading list)|share(?: (?:this|on|via) [\w ]{1,30})?"
    r"|share (?:article|story)|print(?: this)?(?: article)?|tweet|email|comments?(?: \(\d+\))?"
    r"|\d+ comments?|listen to (?:this )?(?:article|post|story)|advertisement|advert"
    # the ad label and the comments heading in de, pl, fr, es, it, nl, fi, sv ("Reklama", "Kommentare (3)")
    r"|anzeige|reklama|publicité|publicidad|pubblicità|advertentie|mainos|annons"
    r"|(?:\d+ )?(?:kommentare?|komentarze?|commentaires?|comentarios?|commenti|reacties)(?: \(\d+\))?"
    # reading time: "5 min read", "9 minute reading time; ~1670 words", "Lesezeit: 3 Minuten"
    r"|(?:about |~)?\d+(?:[–-]\d+)? min(?:ute)?s?\.? (?:read|reading(?: time)?|de lecture|lesezeit|lesedauer|de lectura)"
    r"(?:\s*[;,·|•]\s*~?[\d,.]+ words)?"
    r"|(?:lesezeit|lesedauer|temps de lecture|tiempo de lectura|reading time)\s*:?\s*(?:ca\.\s*|~)?\d+\s*(?:min(?:uten|utes|s)?\.?|minutos)"
    r"|sponsored(?: content)?|follow us(?: on [\w ,&]{1,40})?|skip to (?:main )?content"
    r"|back to top|toggle navigation|menu|home"
    # a page's date field left without its value ("Release Date:")
    r"|(?:release|publication|publishing|posting) date|veröffentlichungsdatum|date de publication|fecha de publicación"
    r"|(?:video |audio )?(?:verfügbar bis|available until|disponible jusqu['’]au) [\w ,./:]{4,30}"
    # a player's embed id left as text ("Podcast ID – Short Length: 864d7617-7afd-455f-9189-511e4ae291aa")
    r"|(?:podcast|episode|video|audio|player|embed)\b[\w –-]{0,40}:\s*[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12})[\s.!:…]*$",
    re.IGNORECASE,
)

_RELATIVE_TIME = re.compile(r"\b\d+\s+(?:second|minute|hour|day|week|month|year)s?\s+ago\b", re.I)

_BYLINE = re.compile(
    r"^(?i:by|written by|reporting by|words by|story by)(?:\s*[:\-]\s*|\s+)"
    r"(?P<who>[A-Z][\w.'’\-]*(?:[ ,&]+(?:and\s+)?[A-Z][\w.'’\-]*){0,7})\s*\.?$"
)
# Bylines in the pipeline's other languages (de, fr, es, it, nl, pl): the word starts the line with
# its capital ("Von Daniel Weinmann"; a book's "von Josef Kastner, ..." credit stays), and a first
# and a last name at least follow it ("Von Menschen" is a heading).
_BYLINE_ABROAD = re.compile(
    r"^(?:Von|Par|Por|Escrito por|Geschrieben von|Écrit par|Scritto da|Door|Autor(?:in)?:|Auteur ?:|Autore:|Autorka:)\s+"
    r"(?P<who>{cap}[\w.'’\-]*(?:[ ,&]+(?:und\s+|et\s+|y\s+|e\s+|en\s+|i\s+)?{cap}[\w.'’\-]*){{1,7}})\s*\.?$"
    .format(cap="[A-ZÀ-ÖØ-ÞŁŚŻŹĆŃŠŽČ]")
)
_DATELINE = re.compile(
    r"^(?:published|posted|updated|last updated|first published)(?: on| at)?\s*:?\s+"
    r"[\w ,:./\-+]{4,60}$",
    re.IGNORECASE,
)

_PHOTO_CREDIT = re.compile(
    r"^(?:(?:above|top|main|featured|header|cover|lead|file)\s+)?"
    r"(?:(?:photo|image|picture|pic|photograph|illustration|video still)s?"
    # the same labels in de, fr, es, it, pl, nl, the Polish abbreviation "Fot." and German "Abb." (figure)
    r"|fotos?|bild(?:er)?|titelbild|beitragsbild|aufmacherbild|symbolbild|headerbild|fot\.|abb\.(?=\s*:)|abbildung"
    r"|crédits? photos?|zdjęci[ea]|fotografía|immagine|afbeelding)"
    r"(?:\s+(?:credit|courtesy|by|source|de|di|illustrative|d['’]illustration))?(?:\s*[:\-–—]\s*|\s+via\s+|(?<=\.)\s+)(?P<credit>.{2,120}?)\.?$",
    re.IGNORECASE,
)
# A short "© Agency | Name" line in mid-text: an image's credit (the footer's is a license).
_COPYRIGHT_CREDIT = re.compile(r"^(?:©|\(c\))\s*(?P<credit>[^.©]{2,80})$", re.IGNORECASE)
_CREDIT_ONLY = re.compile(
    r"^\(?(?:photo|image|picture)s?\s+(?:by|credit|courtesy(?: of)?)\s*:?\s*(?P<credit>.{2,100}?)\)?\.?$",
    re.IGNORECASE,
)

# "Moa Karlberg/imagebank.sweden.se", "Bernd Weißbrod/dpa": a photographer and the agency or site,
# the German credit line. Only with an agency's name or a domain after the slash: "Allgemeine
# Infos/Kontakt" is a heading.
_AGENCIES = (r"dpa|afp|ap|epa|reuters|keystone|imago|getty ?images|istock(?:photo)?|shutterstock|unsplash|pixabay"
             r"|pexels|adobe ?stock|fotolia|picture[ -]alliance|ullstein ?bild|sz ?photo|ddp|kna|epd|anp|ansa|efe|pap")
_SLASH_CREDIT = re.compile(
    r"^(?P<credit>[A-ZÀ-ÖØ-Þ][\w'’\-]+(?: [A-ZÀ-ÖØ-Þ][\w'’\-]+){1,2}/"
    rf"(?:(?i:{_AGENCIES})(?: (?:images|photos?|bilder))?|[\w\-]+(?:\.[\w\-]+)*\.[a-z]{{2,6}}))$"
)

# "Abbildung 4: ...", "Fig. 2. ...": a figure's caption.
_FIGURE_CAPTION = re.compile(r"^(?:abbildung|abb\.|figure|fig\.|grafik|illustration|foto|photo|image|bild)\s*\d+[a-z]?\s*[:.]\s+\S",
                             re.IGNORECASE)
# "... in Las Croabas. By U.S. CUSTOMS AND BORDER PROTECTION": a caption ending in its credit,
# the credit in capitals (two words at least; a lone "By X" line is a byline).
_CAPTION_CREDIT = re.compile(
    r"(?<=[.!?)])\s+(?:(?:photo|image|picture) )?(?i:by)\s+(?P<credit>[A-Z][A-Z0-9.&'’\-]*(?:\s+[A-Z][A-Z0-9.&'’\-]*){1,8})\s*$"
)

# "— John Kirby (@PentagonPresSec) June 28, 2021": the attribution of an embedded post.
_POST_ATTRIBUTION = re.compile(
    r"^[—–-]{1,2}\s*.{1,80}?\(@\w{1,30}\)\s*(?:on\s+)?"
    r"(?:\w{3,9}\.? \d{1,2},? \d{4}|\d{1,2} \w{3,9} \d{4}|\d{4}-\d{2}-\d{2})\s*$"
)
_POST_LINK = re.compile(r"(?:pic\.twitter\.com/\w+|https?://t\.co/\w+|instagram\.com/p/|https?://\S+)\s*$")
# A line that is only a social-embed link; other bare URLs can be an article's references.
_BARE_URL = re.compile(r"^(?:https?://)?(?:pic\.twitter\.com|t\.co|(?:www\.)?(?:instagram\.com|twitter\.com|x\.com)/\w+/status)/?\S*$")

# A marker that opens a block of links to other articles.
_RELATED_MARKER = re.compile(
    r"^(?:more on (?:the|this) (?:topic|story|subject)|read more|read also|also read|see also"
    r"|related(?: (?:articles?|stories|news|coverage|content|posts?|topics?|reading))?"
    r"|recommended(?: for you| stories| articles)?|you (?:may|might) also (?:like|be interested in)"
    r"|more (?:stories|news|articles|from [\w \-]{1,40})|most (?:read|popular|viewed)|trending(?: now)?"
    r"|don'?t miss|further reading|keep reading|latest news"
    r"|(?:subscribe|sign up)(?: (?:to|for) [\w' ]{1,50})?(?: newsletter)?"
    r"|share this (?:article|story|post)"
    # the same markers in the languages the pipeline meets most (de, fr, es, it, pl, pt, nl)
    r"|(?:zum )?weiterlesen|weitere (?:informationen|infos|artikel(?: zum thema)?|nachrichten)|mehr zum thema"
    r"|lesen sie (?:auch|mehr)|auch interessant|(?:das|diese artikel) könnte(?:n)? (?:sie|dich|euch) (?:auch )?interessieren"
    r"|kommentierte artikel"
    r"|(?:à )?lire aussi|voir aussi|sur le même sujet|lee (?:también|más)|te puede interesar|ver también|más información"
    r"|leggi anche|vedi anche|czytaj (?:też|także|więcej)|zobacz (?:też|także)|dowiedz się więcej"
    r"|więcej (?:przepisów|artykułów|wiadomości|tekstów|informacji|na ten temat)(?: [\w ]{1,40})?"
    r"|leia (?:também|mais)|lees ook|meer over"
    r"|lue (?:myös|lisää|aiheesta lisää|seuraavaksi)|läs (?:också|mer)|læs (?:også|mere)|les (?:også|mer))\s*[:.…»>\-]*$",
    re.IGNORECASE,
)
# A marker that opens a press contact block (names, phones, addresses under it).
_CONTACT_MARKER = re.compile(
    r"^(?:(?:press|media|medien|presse)[ -]?(?:contacts?|kontakt|inquiries)|kontakt|contacts?|contacto|contatto|kontakt dla mediów"
    r"|ansprechpartner(?:in|innen)?(?: (?:zum thema|für (?:die )?medien|für rückfragen))?|contact presse|für rückfragen)\s*:\s*$",
    re.IGNORECASE,
)
_BLOCK_MARKERS = (("related_links", _RELATED_MARKER), ("contact", _CONTACT_MARKER))
# "Alles über Wanderschuhe findest Du hier.": a line that only points to a link.
_HERE_POINTER = re.compile(
    r"^.{0,100}\b(?:find(?:est|et|en)? (?:du|sie|ihr)|gibt es|lesen sie|erfahren sie|lest ihr|you(?:'ll| will| can) (?:find|read)"
    r"|click|klicken sie|trouverez|vous trouverez) (?:\w+ )?(?:hier|here|ici)\s*[.!]?$",  # "... finden Sie hier:" introduces what follows
    re.IGNORECASE,
)
# "Weitere Infos unter www.itfjuniors.de.", "More information at example.org": a line that only
# points to a site.
_SITE_POINTER = re.compile(
    r"^(?:(?:weitere |mehr )?(?:infos?|informationen)(?: gibt['’]s| finden sie| findest du| erhalten sie)? (?:unter|auf|bei)"
    r"|(?:for )?more (?:info|information|details),? (?:at|on|visit|see|go to))"
    r"\s+(?:https?://)?(?:www\.)?[\w\-]+(?:\.[\w\-]+)+(?:/\S*)?\s*[.!]?$",
    re.IGNORECASE,
)
# ">> Another headline <<": a link to another article.
_TEASER_ARROWS = re.compile(r"^>>\s*\S.{3,200}\S\s*<<$")
_RELATED_INLINE = re.compile(
    r"^(?:read more|read also|also read|see also|related|watch|listen|more|lesen sie auch|mehr dazu|lire aussi"
    r"|à lire aussi|voir aussi|mira|lee también|leggi anche|czytaj (?:też|także)|dowiedz się więcej|lue myös|läs också)"
    r"\s*[:»|]\s*\S.{2,200}$",  # "MIRA | Kenji Fujimori: ..." (elcomercio.pe)
    re.IGNORECASE,
)

# A reader-directed call to action: subscribe / log in walls, newsletters, follow us, apps, comments.
_CALL_TO_ACTION = re.compile(
    r"(?:\b(?:to (?:view|read|continue reading|access) (?:the|this) (?:full|entire|rest of the) (?:story|article)"
    r"|please (?:subscribe|log ?in|sign ?in|register)|subscribe (?:now|today|to (?:our|the) [\w ]{1,40}(?:edition|newsletter))"
    r"|(?:already|you(?:'|’)re) a subscriber|sign(?:ing)? up (?:for|to) (?:our|the|a|my) [\w ]{0,30}newsletter"
    r"|why not subscribe\b|subscribe to (?:have|get) (?:the next one|it|each edition|them) delivered"
    r"|never miss (?:the latest|a story|an update)|follow (?:us|[\w .]{1,40}) on (?:twitter|facebook|instagram|x|linkedin|tiktok)"
    r"|download (?:the|our) [\w ]{1,40}apps? (?:for|on)|view comments|leave a comment|comments are closed"
    r"|we want to hear what you think|support (?:our|independent) journalism|become a (?:member|subscriber|patron)"
    r"|(?:first[- ]time|new) (?:subscribers|members) (?:also )?(?:receive|get)\b"
    r"|werden sie (?:jetzt )?mitglied|werde (?:jetzt )?mitglied|erhalten sie exklusive (?:angebote|vorteile|inhalte|rabatte)"
    r"|newsletter (?:abonnieren|bestellen)|zum newsletter anmelden|jetzt abonnieren|unterstütze[n]? (?:uns|unsere)"
    r"|abonnez-vous|inscrivez-vous à (?:notre|la) newsletter|suscríbete|iscriviti alla newsletter|zapisz się do newslettera"
    # comment walls and reader appeals
    r"|must be (?:logged|signed) in to (?:post a )?comment|(?:musst|müssen|muss) (?:eingeloggt|angemeldet) sein,? um"
    r"|like what you (?:read|see)\?|enjoy(?:ed)? (?:reading )?this (?:article|story)\?|gefällt (?:dir|ihnen|euch) unser"
    r"|support (?:us|\w+) (?:with|from) (?:just |only )?[$€£]?\s?\d|unterstütze[n]? \w+ (?:bereits |schon )?(?:mit|ab) \d))",
    re.IGNORECASE,
)

# "The post X appeared first on Y.": the footer WordPress SEO plugins add to every feed item
# (in the plugin's translations too).
_FEED_FOOTER = re.compile(
    r"^(?:the post|der beitrag|l['’]article|la entrada|l['’]articolo|het bericht|o post|a entrada) .{1,300}? "
    r"(?:appeared first on|first appeared on|erschien zuerst auf|est apparu en premier sur|se publicó primero en"
    r"|sembra essere il primo su|verscheen eerst op|apareceu primeiro em) .{1,150}$",
    re.IGNORECASE,
)
# WordPress page-builder shortcodes left in feed content: "[fusion_text columns="" ...]",
# "[/vc_column]": closing tags, and tags with attributes whose name is a builder's (with "_" or
# "-") or WordPress's own; "[item_index]" and "[find dst-address=...]" in code stay.
_SHORTCODE = re.compile(r"\[/[a-z][\w-]{0,40}\]|\[(?:[a-z][a-z0-9]*[_-][\w-]{1,40}|caption|gallery|embed|audio|video|playlist)(?:\s+[\w-]{1,40}=[\"”″“\'][^\[\]]{0,400}?[\"”″“\'])+\s*/?\]")
_BARE_TAGS = re.compile(r"^(?:\[[a-z][a-z0-9]*(?:_[a-z0-9]+)+\]\s*)+$")
# A feed summary cut short: "[…]" at its end, or a last line that is a few words and "…".
_CUT_MARKER = re.compile(r"\s*\[\s*(?:…|\.{3})\s*\]\s*$")
_CUT_FRAGMENT = re.compile(r"^[^.!?…]{1,60}(?:…|\.{3})$")
# The link an excerpt ends with, left as text: "Continue reading <title> →", "Read more »",
# "(more…)", "Weiterlesen …", ikiwiki's "This entry has been truncated read the full entry.". Only
# at the end of the text, and only as a line of its own or after a finished sentence: "… to read
# more about how git works" stays. "Read more" without an arrow is a sentence ("Read more.").
_READ_ON_WORDS = (r"continue reading|keep reading|read more|read the (?:full|whole|rest of the) (?:post|entry|article|story)"
                  r"|weiterlesen|mehr lesen|lire la suite|leer más|seguir leyendo|continua(?:re)? a leggere|czytaj (?:dalej|więcej)"
                  r"|leia mais|continuar lendo|lees verder")
_READ_ON_ALONE = (r"continue reading|read the (?:full|whole|rest of the) (?:post|entry|article|story)|weiterlesen|lire la suite"
                  r"|seguir leyendo|czytaj dalej|continuar lendo|lees verder")  # of those, the ones no sentence ends with
_READ_ON = re.compile(
    rf"(?:^|(?<=[.!?…:;”\"’)\]])\s+)(?:(?:{_READ_ON_WORDS})(?:\s.{{0,200}}?)?\s*(?:→|»|›|>>|\.{{3}}|…)"
    rf"|(?:{_READ_ON_ALONE})\s*[.:]?"
    r"|[(\[]\s*(?:more|read more|continue reading)\s*(?:…|\.{3})?\s*[)\]]"
    # a sentence that sends the reader elsewhere for the rest: "To keep reading this article, click
    # on the button below 👇", "Pra continuar lendo esse artigo corre lá para a revista do ... 👇"
    r"|(?:to (?:keep|continue) reading|to read the rest|p(?:a)?ra continuar (?:lendo|a ler)|um weiterzulesen"
    r"|pour lire la suite|para (?:seguir|continuar) leyendo|per continuare a leggere)\b[^.!?]{0,200}[.!:]?\s*\W{0,3}"
    # "Read the full article on Medium.", and a pointer down to what is not there any more: "Watch
    # it below 👇", "Você confere tudo ... ou apertando o play ali em baixo 👇"
    r"|read the (?:full|whole|rest of the) (?:post|entry|article|story) (?:on|at|over at|in) [^.!?]{1,60}[.!]?"
    r"|[^.!?]{0,160}[.!:]?\s*(?:👇|⬇\ufe0f?)\W{0,3}"
    r"|this entry has been truncated\b.{0,60})\s*$",
    re.IGNORECASE,
)
# A "Read more" link on a line of its own, under the excerpt it links from.
_READ_MORE_LINE = re.compile(rf"^(?:{_READ_ON_WORDS})\s*[:.…»>→›\-]*$", re.IGNORECASE)
MIN_TEASERS = 2
# An excerpt cut in the middle of its last sentence: "Das richtige D...", "…, mein…".
_CUT_EXCERPT = re.compile(r"[\w,;]\s?(?:\.{3}|…)$")
MIN_EXCERPT_WORDS = 15

# Footnotes' links back to their reference ("↩︎", as Markdown renderers write them) at a line's end.
_BACKLINK = re.compile(r"(?:\s*↩[\ufe0e\ufe0f]?)+\s*$")

_LICENSE_SENTENCE = re.compile(
    r"(?:licensed under (?:a |the )?(?:creative commons|cc[ -]by)|creative commons attribution"
    r"|all rights reserved|^(?:copyright|©|\(c\))\s|©\s*\d{4}|copyright \d{4}"
    r"|may not be (?:re)?(?:published|broadcast|rewritten|redistributed)|copyrighted (?:property|material)"
    r"|(?:written )?permission (?:must be obtained|is required) (?:before|to|for) (?:reprint|republish|reproduc)"
    r"|without (?:the )?(?:prior )?(?:express )?written permission"
    r"|(?:reprint|republish|reproduc|copy)\w* (?:of )?(?:this |the |our )?(?:content|articles?|material)? ?without (?:prior )?permission"
    r"|(?:this|the) (?:article|story|content) (?:was|is|has been) (?:originally |first )?"
    r"(?:published|republished) (?:by|on|at|in) )",
    re.IGNORECASE,
)
# The post's tags, printed under it: "Tags: law, moglen, philosophy", "Filed under: Politics, Europe",
# "Schlagwörter: Klima, Energie" (a feed's full text keeps them). They become the article's tags.
# Only as the text's last line, and only of short items without code punctuation: in mid-text,
# "tag: React.ReactNode;" or "category: token.category," is code.
_TAGS_LINE = re.compile(
    r"^(?:tags?|tagged(?: with| as)?|filed under|categories|category|topics|schlagw(?:ö|o)rter|schlagworte|stichw(?:ö|o)rter"
    r"|stichworte|kategorien|étiquettes|mots[- ]clés|etiquetas|tagi)\s*:\s*(?P<tags>\S.{0,600})$", re.IGNORECASE)
_TAG_SEPARATOR = re.compile(r"\s*[,;|·]\s*")
_TAG_ITEM = re.compile(r"^[^\W_][\w#+&'’. -]{0,39}$")
MAX_TEXT_TAGS = 25
MAX_TAG_WORDS = 5
# A rule between sections ("---", "* * *", "— — —") with nothing under it.
SEPARATOR = re.compile(r"^(?:[-*_=~•·—–]\s*){3,}$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…”\"’])\s+(?=[A-Z“\"‘(©])")
MAX_BYLINES = 2  # a byline on top and a 'Reporting by' line at the end
_TERMINAL = re.compile(r"[.!?…:;”\"’)]$")

HEAD_ZONE = 8  # lines at the top where headlines, crumbs and bylines live


_NOT_WORD_OR_SPACE = re.compile(r"[^\w\s]")
# Chinese and Japanese are written without spaces between words: each Han ideograph, hiragana or
# katakana counts as a word, as word processors count them (a 250-character Japanese post is not
# the "6 words" its spaces make). Korean spaces its words; Thai's few spaces undercount it.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"  # ideographs (migration 0014 lists them too)
UNSPACED = re.compile(f"[\u3040-\u30ff{_HAN}]")  # kana and Han


def spaced(text: str) -> str:
    """The text with each Chinese or Japanese character standing alone, for counting words."""
    return UNSPACED.sub(r" \g<0> ", text) if not text.isascii() else text


_HAN_RUN = re.compile(f"[{_HAN}]+")
_KATAKANA_RUN = re.compile("[\u30a1-\u30fa\u30fc]{2,}")
HAN_WORD = 4  # a run of Han characters this long or shorter is taken as one word


def unspaced_terms(text: str) -> tuple[str, list[str], list[str]]:
    """The text with its Chinese and Japanese script blanked out, and the words and character
    pairs taken from that script without a segmenter. Words: a katakana run (loanwords: ゲーム), a
    run of 2-4 Han characters (Japanese compounds between kana: 東京都, 感染, 専門家). Pairs: the
    overlapping pairs of a longer Han run (Chinese is written in long runs: 统计, 计局 - the bigrams
    search engines index these languages by; some are no word). Hiragana, mostly Japanese
    grammar, and lone characters give none."""
    if text.isascii() or not UNSPACED.search(text):
        return text, [], []
    words, pairs = _KATAKANA_RUN.findall(text), []
    for run in _HAN_RUN.findall(text):
        if 2 <= len(run) <= HAN_WORD:
            words.append(run)
        elif len(run) > HAN_WORD:
            pairs += [run[i : i + 2] for i in range(len(run) - 1)]
    return UNSPACED.sub(" ", text), words, pairs


def normalize_for_match(text: str) -> str:
    """Casefolded, accent- and punctuation-insensitive form for comparing short lines."""
    if not text.isascii():  # ASCII has nothing to decompose (real-feed texts' fingerprints: 0.635 -> 0.505 s)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = _NOT_WORD_OR_SPACE.sub(" ", text.casefold())
    return " ".join(text.split())


# Invisible characters: zero-width space, word joiner, BOM and soft hyphen go everywhere; the
# zero-width (non-)joiner only beside a space or a Latin letter (news agencies salt copy with it),
# not between Persian or Indic letters or inside an emoji sequence, where it is spelling.
INVISIBLE_CHARS = str.maketrans("", "", "\u200b\u2060\ufeff\u00ad")
_STRAY_JOINER = re.compile(r"(?<=[\sA-Za-z.,;:!?\"'])[\u200c\u200d]+|[\u200c\u200d]+(?=[\sA-Za-z.,;:!?\"'])")


def split_paragraphs(text: str) -> list[str]:
    text = _STRAY_JOINER.sub("", text.translate(INVISIBLE_CHARS))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n") if line.strip()]
    return [_single_cell(line) for line in lines]


def _single_cell(line: str) -> str:
    """"| Related articles |" (a one-cell table row, as trafilatura writes tables) -> its text,
    so the line rules see it; rows of several cells stay as they are."""
    if len(line) > 2 and line[0] == "|" and line[-1] == "|" and "|" not in line[1:-1]:
        return line[1:-1].strip() or line
    return line


def looks_like_code(line: str) -> bool:
    """A line of a code listing (`return (`, `</div>`, `"color": {`): repeated across a blog's
    posts because the code is alike, not because the site adds it. Never learned."""
    chars = line.strip()
    symbols = len(_CODE_CHARS.findall(chars))
    return bool(_CODE_SHAPE.search(chars)) or symbols >= max(3, 0.1 * len(chars.replace(" ", "")))


def _config_line(line: str) -> bool:
    """'image: redis', 'image: mongo:3.0': a setting in a config listing, all lower case, not the
    credit line of a photo ('Image: Reuters', 'Foto: dpa')."""
    return line[:1].islower() and not any(ch.isupper() for ch in line)


def _is_short_label(line: str, max_words: int = 8) -> bool:
    return len(line.split()) <= max_words and not _TERMINAL.search(line)


def _looks_like_headline(line: str) -> bool:
    words = line.split()
    return 3 <= len(words) <= 20 and not re.search(r"[!?:;,]$", line) and not line.endswith("”")


class _Cleaner:
    def __init__(self, lines: list[str]):
        self.lines = lines
        self.removals: list[Removal] = []
        self.meta: dict[str, str] = {}
        self.tags: list[str] = []  # the tags a "Tags: ..." line under the text named

    def drop(self, index: int, rule: str) -> None:
        self.removals.append(Removal(rule, self.lines[index]))
        self.lines[index] = ""

    def compact(self) -> None:
        self.lines = [line for line in self.lines if line]


def clean_text(text: str, *, title: str | None = None, summary: bool = False) -> Cleaned:
    """Strip interstitials, crumbs, icon words, bylines, credits, embedded posts, related-link
    blocks, license footers and repeated headlines from article text. `summary`: the text is a
    feed's summary, which feeds cut short: a last line of a few words and "…" is the cut."""
    c = _Cleaner(split_paragraphs(text))
    _drop_shortcodes(c)
    _drop_line_noise(c)
    c.compact()
    if title:
        _drop_headline_lists(c, title)
        c.compact()
    headline = _drop_headline(c, title)
    c.compact()
    _drop_embedded_posts(c)
    c.compact()
    _drop_related_blocks(c)
    c.compact()
    _drop_dangling_heading(c)
    _drop_tail_labels(c)  # a tags line or a rule may sit above the license footer or under it
    _drop_license_footer(c)
    c.compact()
    _drop_tail_labels(c)
    _drop_cut_tail(c, summary)
    _drop_repeats(c)
    c.compact()
    if headline and "title" not in c.meta:
        c.meta["title"] = headline
    return Cleaned(
        text="\n".join(c.lines),
        removals=c.removals,
        author=c.meta.get("author"),
        license=c.meta.get("license"),
        photo_credit=c.meta.get("photo_credit"),
        tags=tuple(c.tags),
    )


def _drop_shortcodes(c: _Cleaner) -> None:
    for i, line in enumerate(c.lines):
        if "[" not in line or not (codes := _SHORTCODE.findall(line)):
            continue
        rest = " ".join(_SHORTCODE.sub(" ", line).split())
        if _BARE_TAGS.match(rest):  # "[fusion_builder_row]" left among them: a tag too
            codes.append(rest)
            rest = ""
        c.removals.extend(Removal("shortcode", code) for code in codes)
        c.lines[i] = rest


def _drop_line_noise(c: _Cleaner) -> None:
    # Three or more "by Name" lines are a list of works and their authors, not the article's byline.
    bylines = sum(1 for line in c.lines if len(line.split()) <= 12 and (_BYLINE.match(line) or _BYLINE_ABROAD.match(line)))
    credits: list[int] = []  # lines that were a photo's credit alone
    for i, line in enumerate(c.lines):
        if "↩" in line and (backlink := _BACKLINK.search(line)):
            c.removals.append(Removal("ui_chrome", backlink.group().strip()))
            line = c.lines[i] = line[: backlink.start()]
        if not line:
            continue
        words = len(line.split())
        if words <= 14 and _INTERSTITIAL.match(line):
            c.drop(i, "interstitial")
        elif words <= 12 and (_ICON_ALONE.match(line) or (_ICON_GLUED.match(line) and _is_short_label(line, 12))) \
                and not looks_like_code(line):
            c.drop(i, "icon_words")
        elif words <= 8 and _UI_LINE.match(line):
            c.drop(i, "ui_chrome")
        elif words <= 10 and _RELATIVE_TIME.search(line) and _is_short_label(line, 10):
            c.drop(i, "ui_chrome")
        elif words <= 12 and bylines <= MAX_BYLINES and (m := _BYLINE.match(line) or _BYLINE_ABROAD.match(line)):
            c.meta.setdefault("author", m.group("who").strip(" ,"))
            c.drop(i, "byline")
        elif words <= 12 and _DATELINE.match(line) and any(ch.isdigit() for ch in line):  # a date has a number
            c.drop(i, "dateline")
        elif words <= 20 and (((m := _PHOTO_CREDIT.match(line)) and not _config_line(line) and not looks_like_code(line))
                              or (m := _CREDIT_ONLY.match(line)) or (words <= 6 and (m := _SLASH_CREDIT.match(line)))
                              or (words <= 8 and i < len(c.lines) - 1 and (m := _COPYRIGHT_CREDIT.match(line)))):
            c.meta.setdefault("photo_credit", m.group("credit").strip())
            c.drop(i, "photo_credit")
            credits.append(i)
        elif words <= 60 and (m := _CAPTION_CREDIT.search(line)):
            c.meta.setdefault("photo_credit", m.group("credit").strip())
            c.drop(i, "photo_credit")
        elif words <= 40 and _FIGURE_CAPTION.match(line):
            c.drop(i, "caption")
        elif words <= 40 and _EMBED_CONSENT.search(line):
            c.drop(i, "embed_consent")
        elif words <= 40 and _EDITORIAL_NOTE.search(line):
            c.drop(i, "editorial_note")
        elif len(_MIXED_SCRIPT.findall(line)) >= 3:
            c.drop(i, "obfuscated_text")
        elif _FEED_FOOTER.match(line):
            c.drop(i, "feed_footer")
        elif _BARE_URL.match(line):
            c.drop(i, "bare_link")
        elif words <= 40 and _CALL_TO_ACTION.search(line):
            _drop_trailing_calls(c, i)
    for i in credits:
        _drop_caption_after_credit(c, i)
    _drop_credited_captions(c)


MAX_CREDIT_WORDS = 3


def _drop_credited_captions(c: _Cleaner) -> None:
    """A figure printed as its credit alone and then the credit again before the caption
    ("Hersteller" / "Hersteller Die eigenen Heatmaps waren Grundlage der neuen Karten."): the credit
    goes to metadata, the caption goes. The caption must start a new sentence after the credit with
    a capital and end as one: "Strava" / "Strava hat sein Routen-Tool erneuert." is a heading and
    its paragraph."""
    for i in range(len(c.lines) - 1):
        credit, caption = c.lines[i], c.lines[i + 1]
        if not credit[:1].isalpha() or not caption or len(credit.split()) > MAX_CREDIT_WORDS or _TERMINAL.search(credit):
            continue  # "#" / "# Erase 1 to 0." is a comment in a listing
        rest = caption[len(credit):]
        if (caption.startswith(credit + " ") and rest[1:2].isupper() and len(rest.split()) >= 4
                and caption[-1] in ".!?" and len(caption.split()) <= MAX_CAPTION_WORDS + MAX_CREDIT_WORDS):
            c.meta.setdefault("photo_credit", credit.strip())
            c.drop(i, "photo_credit")
            c.drop(i + 1, "caption")


MAX_CAPTION_WORDS = 25


def _drop_caption_after_credit(c: _Cleaner, i: int) -> None:
    """Under a photo's credit, one short sentence and then a heading: the photo's caption
    ("Moa Karlberg/imagebank.sweden.se" / "Das Wasser aus Bächen und Flüssen kocht man lieber ab." /
    "Praxistipps für den Roadtrip"). A paragraph of more sentences, or one that the text goes on
    from, is the article's."""
    if i + 2 >= len(c.lines) or not (caption := c.lines[i + 1]) or not (heading := c.lines[i + 2]):
        return
    if (len(caption.split()) <= MAX_CAPTION_WORDS and caption[-1] in ".!?" and len(_SENTENCE_SPLIT.split(caption)) == 1
            and _is_short_label(heading) and not _BULLET.match(heading) and not looks_like_code(caption)):
        c.drop(i + 1, "caption")


def _drop_trailing_calls(c: _Cleaner, i: int) -> None:
    """A call to action opens a reader appeal ("Like what you see? We decided against a paywall.")
    or closes a paragraph. An appeal goes whole; of a paragraph, the sentences that end it and call
    to subscribe, follow or comment go, the ones before them stay ("A new tutorial is coming shortly.
    Sign up to the newsletter to get it first."). The phrase in mid-paragraph only is the author's
    narrative ("I'm sure you'll know if you follow me on twitter I love it. So in this post...")."""
    sentences = _SENTENCE_SPLIT.split(c.lines[i])
    keep = len(sentences)
    while keep and _CALL_TO_ACTION.search(sentences[keep - 1]):
        keep -= 1
    if keep == 0 or _CALL_TO_ACTION.search(sentences[0]):
        c.drop(i, "call_to_action")
    elif keep < len(sentences):
        c.removals.append(Removal("call_to_action", " ".join(sentences[keep:])))
        c.lines[i] = " ".join(sentences[:keep])


def _drop_headline(c: _Cleaner, title: str | None) -> str | None:
    """Drop the headline where the text repeats it near the top, and the short crumb lines
    (site name, section) that stand before it. Without a title, a line printed twice near the
    top, or else a short unpunctuated first line followed by a paragraph, is taken as the headline."""
    zone = min(HEAD_ZONE, len(c.lines))
    forms = title_forms(title) if title else set()
    hits = [i for i in range(zone) if normalize_for_match(c.lines[i]) in forms]
    if not hits and title:  # a kicker and its headline on two lines: "Siemens und die Kohlemine Adani" / "Kaeser ..."
        hits = next(([i, i + 1] for i in range(zone - 1) if c.lines[i + 1]
                     and normalize_for_match(f"{c.lines[i]} {c.lines[i + 1]}") in forms), [])
    # below a paragraph of the article's own, a line that reads as the title is a section heading
    # ("My Shed" in a post titled "My Shed"): the headline stands above the text, under its crumbs
    hits = [i for i in hits if all(_is_short_label(line) or normalize_for_match(line) in forms or j in hits
                                   for j, line in enumerate(c.lines[:i]))]
    if not hits and not title:
        # A line the page prints twice in a row (page heading, article heading) above the first
        # paragraph, with only short labels (site name, section) before it, is the headline.
        for i in range(zone - 1):
            line = c.lines[i]
            if _looks_like_headline(line) and not line.endswith(".") and line == c.lines[i + 1]:
                hits, title = [i, i + 1], line
                break
            if not _is_short_label(line):
                break
    if not hits and not title and len(c.lines) > 1:
        first = c.lines[0]
        # Only an unpunctuated line: a first sentence ending in "." is the article's.
        if _looks_like_headline(first) and not first.endswith(".") and len(c.lines[1].split()) > len(first.split()):
            hits, title = [0], first
    if not hits:
        return None
    for i in range(hits[0]):
        if _is_short_label(c.lines[i]) and not c.lines[i].endswith(","):  # "Good morning," opens the text
            c.drop(i, "crumb")
    for i in hits:
        c.drop(i, "headline")
    return title


# What a page's <title> adds to its headline: the site and section, after or before a separator
# ("Remote Support mit Smart Glasses – AR-Kundenservice der Zukunft? - Management Circle",
# "Buß- und Ordnungsgeld gegen Anwalt wegen Maskenverweigerung | Recht | Haufe").
TITLE_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|•|::|«|»)\s+")
MIN_HEADLINE_WORDS = 3  # a shorter part of a title is a site or section name, not the headline


def title_forms(title: str) -> set[str]:
    """The title and, when it has site or section parts, each run of its parts from the first or to
    the last of at least MIN_HEADLINE_WORDS words: the headline as the text may print it."""
    forms = {normalize_for_match(title)}
    for separator in TITLE_SEPARATOR.finditer(title):
        for run in (title[:separator.start()], title[separator.end():]):
            if len((form := normalize_for_match(run)).split()) >= MIN_HEADLINE_WORDS:
                forms.add(form)
    return forms


# "- Another headline": an item of a bulleted list; a headline has no sentence or clause ending.
_BULLET = re.compile(r"^[-–•·*]\s+(?=\S)")
_ENDS_CLAUSE = re.compile(r"[.!?:;,]$")
MIN_LIST_ITEMS = 3


def _drop_headline_lists(c: _Cleaner, title: str) -> None:
    """A bulleted list of headlines, one of which is the article's own title, is the site's list of
    its latest articles, not the article ("- Duzen unter Parteifreunden ist keine Beleidigung" /
    "- <the title>" / ...). A list that merely quotes the title in a sentence stays: each item must
    be a headline (no sentence ending) of at most 20 words."""
    forms = title_forms(title)
    i = 0
    while i < len(c.lines):
        j = i
        while j < len(c.lines) and _BULLET.match(c.lines[j]) and len(c.lines[j].split()) <= 21 \
                and not _ENDS_CLAUSE.search(c.lines[j]):
            j += 1
        if j - i >= MIN_LIST_ITEMS and any(normalize_for_match(c.lines[k]) in forms for k in range(i, j)):
            for k in range(i, j):
                c.drop(k, "related_links")
        i = max(j, i + 1)


# The last line a heading over links that are gone: "Weitere Tourentipps in Schweden", "Other posts in this series".
_DANGLING_RELATED = re.compile(
    r"^(?:weitere|mehr|more|other|further|related|autres|plus d['’]|otr[oa]s|más|altri|altre|więcej|inne)\b",
    re.IGNORECASE,
)


def _drop_dangling_heading(c: _Cleaner) -> None:
    """A text ends with a heading that opened a list of links to other articles, and nothing under
    it: "Weitere Tourentipps in Schweden". Only a short unpunctuated line of that opening."""
    if len(c.lines) > 1 and _is_short_label(last := c.lines[-1]) and _DANGLING_RELATED.match(last):
        c.drop(len(c.lines) - 1, "related_links")
        c.compact()


def _drop_tail_labels(c: _Cleaner) -> None:
    """What a post prints under its last paragraph that is not its text: a section rule with nothing
    under it ("---"), and its tags line, whose tags go to the article's tags."""
    while len(c.lines) > 1:
        last = c.lines[-1]
        if SEPARATOR.match(last):
            c.drop(len(c.lines) - 1, "separator")
        elif (tags := _tags_of(last)) and not looks_like_code(c.lines[-2]):
            c.tags[:0] = tags  # read from the end: an earlier tags line's come first
            c.drop(len(c.lines) - 1, "tags")
        else:
            return
        c.compact()


def _tags_of(line: str) -> list[str]:
    """The tags a "Tags: a, b, c" line lists; none when an item is not a tag's few words (code,
    a sentence, a hash)."""
    if not (m := _TAGS_LINE.match(line)) or looks_like_code(line):
        return []
    items = _TAG_SEPARATOR.split(m.group("tags").rstrip(" ."))
    if len(items) > MAX_TEXT_TAGS:
        return []
    for item in items:
        letters = sum(ch.isalpha() for ch in item)
        if not _TAG_ITEM.match(item) or len(item.split()) > MAX_TAG_WORDS or letters <= sum(ch.isdigit() for ch in item):
            return []
    return items


def _drop_embedded_posts(c: _Cleaner) -> None:
    for i, line in enumerate(c.lines):
        if not _POST_ATTRIBUTION.match(line):
            continue
        c.drop(i, "embedded_post")
        if i > 0 and c.lines[i - 1] and _POST_LINK.search(c.lines[i - 1]):
            c.drop(i - 1, "embedded_post")


def _drop_teasers(c: _Cleaner) -> None:
    """Excerpts of other articles: paragraphs each followed by its own "Read more" line (two at
    least: one is an article's own paywall break), and at the text's end a run of three or more
    paragraphs that all stop in mid-sentence with an ellipsis ("... Das richtige D..."), or of
    headlines listed as links ("-La historia de ...", "- Headline - October 23, 2020")."""
    lines = c.lines
    teasers = [k - 1 for k in range(1, len(lines)) if _READ_MORE_LINE.match(lines[k])
               and lines[k - 1] and not _READ_MORE_LINE.match(lines[k - 1]) and not looks_like_code(lines[k - 1])]
    if len(teasers) >= MIN_TEASERS:
        for k in teasers:
            c.drop(k, "related_links")
    for is_teaser in (_is_cut_excerpt, _is_listed_headline):
        end = len(lines)
        while end > 0 and lines[end - 1] and is_teaser(lines[end - 1]):
            end -= 1
        if len(lines) - end >= MIN_LISTED and end > 0:
            for k in range(end, len(lines)):
                c.drop(k, "related_links")
    c.compact()


MIN_LISTED = 3
# "-La historia de la mujer ..." (a dash glued to the headline: a list of links), "- 20 Gorgeous
# Winter Baby Shower Ideas - October 23, 2020" (a recent-posts list, each headline with its date).
_GLUED_DASH_ITEM = re.compile(r"^-(?=[A-ZÀ-ÖØ-Þ¿¡])")
_DATED_ITEM = re.compile(r"^[-–•·*]\s.{3,200}\s[-–|·]\s(?:\w{3,9}\.? \d{1,2},? \d{4}|\d{1,2}\.? \w{3,9}\.? \d{4}|\d{1,2}\.\d{1,2}\.\d{2,4})$")


def _is_cut_excerpt(line: str) -> bool:
    return len(line.split()) >= MIN_EXCERPT_WORDS and bool(_CUT_EXCERPT.search(line))


def _is_listed_headline(line: str) -> bool:
    return len(line.split()) <= 25 and not _ENDS_CLAUSE.search(line) and bool(
        _GLUED_DASH_ITEM.match(line) or _DATED_ITEM.match(line))


def _drop_related_blocks(c: _Cleaner) -> None:
    """A related-links marker goes, with the short link titles under it; a real paragraph
    after it ends the block (a 'Read more' in mid-article does not eat the article)."""
    _drop_teasers(c)
    i = 0
    while i < len(c.lines):
        line = c.lines[i]
        rule = None
        if len(line.split()) <= 10:
            rule = next((name for name, marker in _BLOCK_MARKERS if marker.match(line)), None)
        if rule:
            c.drop(i, rule)
            j = i + 1  # a line of code ends the block: the marker was a button's label in a listing
            while (j < len(c.lines) and len(c.lines[j].split()) <= 16 and not _TERMINAL.search(c.lines[j])
                   and not looks_like_code(c.lines[j])):
                c.drop(j, rule)
                j += 1
            i = j
            continue
        if len(line.split()) <= 30 and (_RELATED_INLINE.match(line) or _TEASER_ARROWS.match(line)) or (
                len(line.split()) <= 14 and (_HERE_POINTER.match(line) or _SITE_POINTER.match(line))):
            c.drop(i, "related_links")
        i += 1


def _drop_license_footer(c: _Cleaner) -> None:
    """License and copyright sentences at the end of the text, even glued to the last
    paragraph (a text feed flattens the footer into it)."""
    footer: list[str] = []  # read from the end: the license is the footer in reading order
    while c.lines:
        last = c.lines[-1]
        sentences = _SENTENCE_SPLIT.split(last)
        tail = sentences[-1]
        if not _LICENSE_SENTENCE.search(tail) or len(tail.split()) > 40:
            break
        footer.insert(0, tail.strip())
        c.removals.append(Removal("license_footer", tail))
        rest = last[: len(last) - len(tail)].rstrip()
        if rest:
            c.lines[-1] = rest
        else:
            c.lines.pop()
    if footer:
        c.meta.setdefault("license", " ".join(footer))


def _drop_cut_tail(c: _Cleaner, summary: bool) -> None:
    """Where a text was cut short, the unfinished sentence and the "[…]" go: "… said on
    Tuesday. The talks [...]" keeps "… said on Tuesday.". In a feed's summary, a last line of a
    few words and "…" ("Carney's announcement of Canada's…") goes whole; in full text such a line
    is the author's ("To be continued…"). A text of one line keeps its words. Before that, the
    "Continue reading →" an excerpt ends with goes."""
    if not c.lines:
        return
    if read_on := _READ_ON.search(c.lines[-1]):
        c.removals.append(Removal("cut_tail", read_on.group().strip()))
        c.lines[-1] = c.lines[-1][: read_on.start()].rstrip()
        c.compact()
        if not c.lines:
            return
    last = c.lines[-1]
    if summary and len(c.lines) > 1 and len(last.split()) <= 8 and _CUT_FRAGMENT.match(last):
        c.drop(len(c.lines) - 1, "cut_tail")
    elif marker := _CUT_MARKER.search(last):
        kept = last[: marker.start()]
        end = max(kept.rfind(p) for p in ".!?”\"")
        kept = kept[: end + 1] if end > 0 else kept  # without a full sentence, only the marker goes
        c.removals.append(Removal("cut_tail", last[len(kept):].strip()))
        c.lines[-1] = kept.rstrip()


# Shorter repeats are content: "}" after "}" in code, "3 sztuki" in a list, a song's refrain.
REPEAT_MIN_WORDS = 7
_WORD = re.compile(r"[^\W\d_]{2,}")


def _drop_repeats(c: _Cleaner) -> None:
    """A paragraph repeated right after itself is a rendering artefact, not the article. A site's
    address printed three or more times in a row is a gallery's photo credits ("imagebank.sweden.se"
    under each of 28 photos: outdoor-magazin.com)."""
    lines = c.lines[:]
    for i in range(1, len(lines)):
        if lines[i] and lines[i] == lines[i - 1] and len(_WORD.findall(lines[i])) >= REPEAT_MIN_WORDS:
            c.drop(i, "repeated_line")
    start = 0
    for i in range(1, len(lines) + 1):
        if i < len(lines) and lines[i] == lines[start]:
            continue
        if i - start >= MIN_CREDIT_RUN and _CREDIT_ADDRESS.match(lines[start]):
            c.meta.setdefault("photo_credit", lines[start])
            for j in range(start, i):
                c.drop(j, "photo_credit")
        start = i


MIN_CREDIT_RUN = 3
# a site's address, not a file's name ("conf.py"): with www., a host under a domain, or a generic TLD
_CREDIT_ADDRESS = re.compile(r"^(?:www\.[a-z0-9-]+\.[a-z]{2,}|[a-z0-9-]+(?:\.[a-z0-9-]+)+\.[a-z]{2,}|[a-z0-9-]+\.(?:com|net|org|info))$",
                             re.IGNORECASE)
