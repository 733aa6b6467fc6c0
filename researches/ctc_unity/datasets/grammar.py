"""A small synchronous French -> English grammar for the synthetic EchoStream corpus.

Every sentence is built once, as a tree of synchronous choices (subject, verb,
tense, negation, object realisation, adjuncts, ...), and each choice emits the
French and the English words at the same time, so the two sides are always
translations of each other.  The grammar was written for this project; it covers
the phenomena that make *simultaneous* translation hard, and tags every pair with
the ones it exhibits (see :data:`PHENOMENA`):

``adj_noun_reordering``
    a post-nominal French adjective: « une voiture rouge » -> "a red car".
``clitic_pronoun``
    an object pronoun before the (auxiliary) verb: « je le vois » -> "i see him".
``negation``
    « ne ... pas »: « je ne vois pas le chien » -> "i do not see the dog".
``past_tense``
    passé composé with *avoir*: « j'ai vu la maison » -> "i saw the house".
``future_tense``
    simple future: « je verrai » -> "i will see".
``number``
    a cardinal number (1-20, some tens, hours, ages, "N days ago").
``question``
    « est-ce que », subject-verb inversion (« vois-tu ») or a wh-question.
``conjunction``
    two or three clauses joined by « et », « mais », « parce que », « donc », « si ».

Morphology handled: gender/number agreement of articles, possessives,
demonstratives (« cet homme »), adjectives (including « vieil », « bel »,
« nouvel » and « de » before a plural pre-nominal adjective), past participles
(agreement with a preceding direct-object clitic: « je l'ai vue »), contractions
(« au », « aux », « du »), partitives and « de » under negation, elision
(« l' », « j' », « n' », « m' », « t' », « d' », « qu' », « s'il »), the
euphonic « -t- » (« mange-t-il »), and on the English side 3rd-person -s,
do-support ("does not", "did not see", "will not", "do you", "does she"), a/an.

Text format: lower case, single spaces, no punctuation except apostrophes inside
elided words and hyphens inside words.  Only the standard library is used, and
all randomness comes from a ``random.Random(seed)``.

Usage::

    python -m ctc_unity.datasets.grammar --n 10 --seed 0
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

__all__ = [
    "PHENOMENA",
    "FR_CHARSET",
    "EN_CHARSET",
    "SentencePair",
    "generate_pairs",
    "vocabulary",
    "split_pairs",
]

#: Phenomenon tags, in canonical order.
PHENOMENA: Tuple[str, ...] = (
    "adj_noun_reordering",
    "clitic_pronoun",
    "negation",
    "past_tense",
    "future_tense",
    "number",
    "question",
    "conjunction",
)

#: Every character a French sentence can contain.
FR_CHARSET: FrozenSet[str] = frozenset("abcdefghijklmnopqrstuvwxyz" "àâçéèêëîïôûùüÿœ" "'- ")
#: Every character an English sentence can contain.
EN_CHARSET: FrozenSet[str] = frozenset("abcdefghijklmnopqrstuvwxyz" "'- ")


@dataclass(frozen=True)
class SentencePair:
    """One aligned French/English sentence pair.

    Args:
        fr: French sentence (lower case, space separated, no punctuation).
        en: English translation (same format).
        phenomena: sorted tuple (in :data:`PHENOMENA` order) of the phenomena
            the pair exhibits; empty for plain sentences or non-grammar text.

    Returns:
        An immutable, hashable record (compared field by field).

    Raises:
        dataclasses.FrozenInstanceError: on attribute assignment.  No
        validation is done on construction.
    """

    fr: str
    en: str
    phenomena: Tuple[str, ...] = ()


# =========================================================================== lexicon
#
# Noun categories (space separated in the last column):
#   p person, a animal, pet (can be petted), col (colour adjectives make sense),
#   f countable food, m mass food, d drink (mass), o portable object, t tool,
#   op openable, r readable, wr writable, s song, u audio device, w watchable,
#   snd sendable/giftable, c clothes, fu furniture/fixture, v vehicle,
#   drv drivable, bus (something one waits for), b building, n nature.
# Mass nouns have "-" as plural and are used with partitive articles.

_NOUN_TABLE = """
homme|hommes|m|man|men|p
femme|femmes|f|woman|women|p
garçon|garçons|m|boy|boys|p
fille|filles|f|girl|girls|p
enfant|enfants|m|child|children|p
ami|amis|m|friend|friends|p
amie|amies|f|friend|friends|p
frère|frères|m|brother|brothers|p
sœur|sœurs|f|sister|sisters|p
père|pères|m|father|fathers|p
mère|mères|f|mother|mothers|p
oncle|oncles|m|uncle|uncles|p
tante|tantes|f|aunt|aunts|p
professeur|professeurs|m|teacher|teachers|p
médecin|médecins|m|doctor|doctors|p
voisin|voisins|m|neighbor|neighbors|p
voisine|voisines|f|neighbor|neighbors|p
étudiant|étudiants|m|student|students|p
étudiante|étudiantes|f|student|students|p
bébé|bébés|m|baby|babies|p
policier|policiers|m|police officer|police officers|p
cuisinier|cuisiniers|m|cook|cooks|p
chanteur|chanteurs|m|singer|singers|p
chanteuse|chanteuses|f|singer|singers|p
acteur|acteurs|m|actor|actors|p
actrice|actrices|f|actress|actresses|p
roi|rois|m|king|kings|p
reine|reines|f|queen|queens|p
facteur|facteurs|m|mailman|mailmen|p
touriste|touristes|m|tourist|tourists|p
client|clients|m|customer|customers|p
cliente|clientes|f|customer|customers|p
infirmière|infirmières|f|nurse|nurses|p
chien|chiens|m|dog|dogs|a pet col
chat|chats|m|cat|cats|a pet col
cheval|chevaux|m|horse|horses|a pet col
oiseau|oiseaux|m|bird|birds|a col
vache|vaches|f|cow|cows|a pet col
poisson|poissons|m|fish|fish|a col
souris|souris|f|mouse|mice|a col
lapin|lapins|m|rabbit|rabbits|a pet col
cochon|cochons|m|pig|pigs|a pet
mouton|moutons|m|sheep|sheep|a pet
lion|lions|m|lion|lions|a
tigre|tigres|m|tiger|tigers|a
ours|ours|m|bear|bears|a
éléphant|éléphants|m|elephant|elephants|a
canard|canards|m|duck|ducks|a col
poule|poules|f|hen|hens|a col
loup|loups|m|wolf|wolves|a
singe|singes|m|monkey|monkeys|a
serpent|serpents|m|snake|snakes|a col
abeille|abeilles|f|bee|bees|a
araignée|araignées|f|spider|spiders|a
écureuil|écureuils|m|squirrel|squirrels|a
âne|ânes|m|donkey|donkeys|a pet
pomme|pommes|f|apple|apples|f
banane|bananes|f|banana|bananas|f
orange|oranges|f|orange|oranges|f
gâteau|gâteaux|m|cake|cakes|f
œuf|œufs|m|egg|eggs|f
sandwich|sandwichs|m|sandwich|sandwiches|f
tomate|tomates|f|tomato|tomatoes|f
carotte|carottes|f|carrot|carrots|f
poire|poires|f|pear|pears|f
fraise|fraises|f|strawberry|strawberries|f
cerise|cerises|f|cherry|cherries|f
biscuit|biscuits|m|cookie|cookies|f
croissant|croissants|m|croissant|croissants|f
tarte|tartes|f|pie|pies|f
citron|citrons|m|lemon|lemons|f
pain|-|m|bread|-|m
fromage|-|m|cheese|-|m
riz|-|m|rice|-|m
soupe|-|f|soup|-|m
viande|-|f|meat|-|m
chocolat|-|m|chocolate|-|m
beurre|-|m|butter|-|m
confiture|-|f|jam|-|m
poulet|-|m|chicken|-|m
salade|-|f|salad|-|m
glace|-|f|ice cream|-|m
eau|-|f|water|-|d
lait|-|m|milk|-|d
café|-|m|coffee|-|d
thé|-|m|tea|-|d
jus|-|m|juice|-|d
vin|-|m|wine|-|d
limonade|-|f|lemonade|-|d
livre|livres|m|book|books|o r wr col
lettre|lettres|f|letter|letters|o r wr snd
journal|journaux|m|newspaper|newspapers|o r
clé|clés|f|key|keys|o t
téléphone|téléphones|m|phone|phones|o t col
sac|sacs|m|bag|bags|o op col
stylo|stylos|m|pen|pens|o t col
crayon|crayons|m|pencil|pencils|o t col
cahier|cahiers|m|notebook|notebooks|o col
tasse|tasses|f|cup|cups|o t col
verre|verres|m|glass|glasses|o t
assiette|assiettes|f|plate|plates|o t col
couteau|couteaux|m|knife|knives|o t
cuillère|cuillères|f|spoon|spoons|o t
fourchette|fourchettes|f|fork|forks|o t
montre|montres|f|watch|watches|o t col snd
ordinateur|ordinateurs|m|computer|computers|o t col
valise|valises|f|suitcase|suitcases|o op col
parapluie|parapluies|m|umbrella|umbrellas|o t col
ballon|ballons|m|ball|balls|o col snd
jouet|jouets|m|toy|toys|o snd
photo|photos|f|photo|photos|o w snd
carte|cartes|f|map|maps|o r
fleur|fleurs|f|flower|flowers|o snd col
cadeau|cadeaux|m|gift|gifts|o snd
boîte|boîtes|f|box|boxes|o op col
bouteille|bouteilles|f|bottle|bottles|o op
histoire|histoires|f|story|stories|r wr
chanson|chansons|f|song|songs|s wr
film|films|m|movie|movies|w
radio|radios|f|radio|radios|u o col
chapeau|chapeaux|m|hat|hats|c col
chemise|chemises|f|shirt|shirts|c col
robe|robes|f|dress|dresses|c col
manteau|manteaux|m|coat|coats|c col
chaussure|chaussures|f|shoe|shoes|c col
écharpe|écharpes|f|scarf|scarves|c col
pull|pulls|m|sweater|sweaters|c col
chaise|chaises|f|chair|chairs|fu col
table|tables|f|table|tables|fu col
lit|lits|m|bed|beds|fu
lampe|lampes|f|lamp|lamps|fu o col
porte|portes|f|door|doors|fu op col
fenêtre|fenêtres|f|window|windows|fu op
voiture|voitures|f|car|cars|v drv col
vélo|vélos|m|bike|bikes|v col
bus|bus|m|bus|buses|v drv bus col
train|trains|m|train|trains|v drv bus
bateau|bateaux|m|boat|boats|v col
avion|avions|m|plane|planes|v bus col
camion|camions|m|truck|trucks|v drv col
moto|motos|f|motorcycle|motorcycles|v drv col
maison|maisons|f|house|houses|b col
église|églises|f|church|churches|b
école|écoles|f|school|schools|b
hôtel|hôtels|m|hotel|hotels|b
musée|musées|m|museum|museums|b
magasin|magasins|m|store|stores|b
château|châteaux|m|castle|castles|b
pont|ponts|m|bridge|bridges|b
tour|tours|f|tower|towers|b
gare|gares|f|station|stations|b
hôpital|hôpitaux|m|hospital|hospitals|b
bibliothèque|bibliothèques|f|library|libraries|b
restaurant|restaurants|m|restaurant|restaurants|b
immeuble|immeubles|m|building|buildings|b
appartement|appartements|m|apartment|apartments|b
ferme|fermes|f|farm|farms|b
village|villages|m|village|villages|b
arbre|arbres|m|tree|trees|n
jardin|jardins|m|garden|gardens|n
parc|parcs|m|park|parks|n
rivière|rivières|f|river|rivers|n
montagne|montagnes|f|mountain|mountains|n
lac|lacs|m|lake|lakes|n
île|îles|f|island|islands|n
forêt|forêts|f|forest|forests|n
plage|plages|f|beach|beaches|n
ville|villes|f|city|cities|n
"""

# Adjectives: ms|fs|mp|fp|english|attributive categories|predicative categories|flags
#   flags: pre (pre-nominal), col (colour), v=<masc. sing. form before a vowel>,
#          pp=<English for persons, predicative>, pa=<English for persons,
#          attributive>, pm=<English for masculine persons>.
_ADJ_TABLE = """
rouge|rouge|rouges|rouges|red|col|col|col
bleu|bleue|bleus|bleues|blue|col|col|col
vert|verte|verts|vertes|green|col|col|col
noir|noire|noirs|noires|black|col|col|col
blanc|blanche|blancs|blanches|white|col|col|col
jaune|jaune|jaunes|jaunes|yellow|col|col|col
gris|grise|gris|grises|gray|col|col|col
rose|rose|roses|roses|pink|col|col|col
marron|marron|marron|marron|brown|col|col|col
rapide|rapide|rapides|rapides|fast|v a|v a|
lent|lente|lents|lentes|slow|v a|v a|
lourd|lourde|lourds|lourdes|heavy|o t c fu|o t c fu|
léger|légère|légers|légères|light|o t c|o t c|
cher|chère|chers|chères|expensive|o t c v b|o t c v b|
cassé|cassée|cassés|cassées|broken|t v fu|t v fu|
propre|propre|propres|propres|clean|t c v b fu|t c v b fu|
sale|sale|sales|sales|dirty|t c v b fu a|t c v b fu a|
vide|vide|vides|vides|empty|op b|op b|
délicieux|délicieuse|délicieux|délicieuses|delicious|f m|f m|
chaud|chaude|chauds|chaudes|hot|m d|m d|
froid|froide|froids|froides|cold|m d|m d|
frais|fraîche|frais|fraîches|fresh|f m|f m|
sucré|sucrée|sucrés|sucrées|sweet|f m d|f m d|
intelligent|intelligente|intelligents|intelligentes|smart|p a|p a|
gentil|gentille|gentils|gentilles|nice|p a|p a|
heureux|heureuse|heureux|heureuses|happy|p a|p a|
triste|triste|tristes|tristes|sad|p a|p a|
malade|malade|malades|malades|sick|p a|p a|
fatigué|fatiguée|fatigués|fatiguées|tired|p a|p a|
célèbre|célèbre|célèbres|célèbres|famous|p b|p b|
riche|riche|riches|riches|rich|p|p|
moderne|moderne|modernes|modernes|modern|b v|b v|
sauvage|sauvage|sauvages|sauvages|wild|a|a|
dangereux|dangereuse|dangereux|dangereuses|dangerous|a v|a v|
calme|calme|calmes|calmes|calm|p a|p a|
drôle|drôle|drôles|drôles|funny|p w s r|p w s r|
intéressant|intéressante|intéressants|intéressantes|interesting|r w|r w|
ennuyeux|ennuyeuse|ennuyeux|ennuyeuses|boring|r w|r w|
occupé|occupée|occupés|occupées|busy|p|p|
content|contente|contents|contentes|happy|p|p|
prêt|prête|prêts|prêtes|ready||p|
petit|petite|petits|petites|small|p a o t c v b f fu n|p a o t c v b f fu n|pre pp=short pa=little
grand|grande|grands|grandes|big|a o c v b fu n|p a o c v b fu n|pre pp=tall
vieux|vieille|vieux|vieilles|old|p a o c v b n|p a o c v b n|pre v=vieil
beau|belle|beaux|belles|beautiful|p a o c v b n|p a o c v b n|pre v=bel pm=handsome
nouveau|nouvelle|nouveaux|nouvelles|new|p o t c v b|o t c v b|pre v=nouvel
jeune|jeune|jeunes|jeunes|young|p a|p a|pre
bon|bonne|bons|bonnes|good|p f m d r w s|f m d r w s|pre
mauvais|mauvaise|mauvais|mauvaises|bad|f m d r w s|f m d r w s|pre
gros|grosse|gros|grosses|big|a o f|a o f|pre
joli|jolie|jolis|jolies|pretty|o c b n|o c b n|pre
"""

# Verbs: inf|present (6 forms or "-" = regular)|future stem ("-" = regular)|past participle
#        |english base 3sg past|english particle|kind|object categories|subject categories|extra
# kind: dobj (direct object), iobj (« à » + person), ditr (direct + « à » person),
#       intr (intransitive; extra = manner adverbs), go / leave / stay (motion verbs,
#       auxiliary être: never in the passé composé).
_VERB_TABLE = """
voir|vois vois voit voyons voyez voient|verr|vu|see sees saw||dobj|p a f o t c v b n fu w r|p a|
regarder|-|-|regardé|watch watches watched||dobj|p a v n w|p a|
manger|mange manges mange mangeons mangez mangent|-|mangé|eat eats ate||dobj|f m|p a|
boire|bois bois boit buvons buvez boivent|boir|bu|drink drinks drank||dobj|d|p a|
lire|lis lis lit lisons lisez lisent|lir|lu|read reads read||dobj|r|p|
écrire|écris écris écrit écrivons écrivez écrivent|écrir|écrit|write writes wrote||dobj|wr|p|
écouter|-|-|écouté|listen listens listened|to|dobj|p s u|p a|
acheter|achète achètes achète achetons achetez achètent|achèter|acheté|buy buys bought||dobj|f m d o t c v|p|
vendre|vends vends vend vendons vendez vendent|vendr|vendu|sell sells sold||dobj|o t c v b|p|
prendre|prends prends prend prenons prenez prennent|prendr|pris|take takes took||dobj|f o t c bus|p|
aimer|-|-|aimé|love loves loved||dobj|p a|p|
aimer|-|-|aimé|like likes liked||dobj|f m d c v w s n|p a|
détester|-|-|détesté|hate hates hated||dobj|p a f m d w s|p a|
chercher|-|-|cherché|look looks looked|for|dobj|p a o t c|p a|
trouver|-|-|trouvé|find finds found||dobj|p a o t c|p a|
perdre|perds perds perd perdons perdez perdent|perdr|perdu|lose loses lost||dobj|o t c|p|
ouvrir|ouvre ouvres ouvre ouvrons ouvrez ouvrent|ouvrir|ouvert|open opens opened||dobj|op|p|
fermer|-|-|fermé|close closes closed||dobj|op|p|
laver|-|-|lavé|wash washes washed||dobj|c v pet fu t|p|
porter|-|-|porté|wear wears wore||dobj|c|p|
porter|-|-|porté|carry carries carried||dobj|o t|p|
utiliser|-|-|utilisé|use uses used||dobj|t|p|
connaître|connais connais connaît connaissons connaissez connaissent|connaîtr|connu|know knows knew||dobj|p|p a|
aider|-|-|aidé|help helps helped||dobj|p|p|
attendre|attends attends attend attendons attendez attendent|attendr|attendu|wait waits waited|for|dobj|p bus|p a|
appeler|appelle appelles appelle appelons appelez appellent|appeller|appelé|call calls called||dobj|p a|p|
visiter|-|-|visité|visit visits visited||dobj|b n|p|
construire|construis construis construit construisons construisez construisent|construir|construit|build builds built||dobj|b|p|
dessiner|-|-|dessiné|draw draws drew||dobj|p a o c v b n fu|p|
peindre|peins peins peint peignons peignez peignent|peindr|peint|paint paints painted||dobj|fu b|p|
réparer|-|-|réparé|fix fixes fixed||dobj|t v fu|p|
conduire|conduis conduis conduit conduisons conduisez conduisent|conduir|conduit|drive drives drove||dobj|drv|p|
caresser|-|-|caressé|pet pets petted||dobj|pet|p|
nourrir|nourris nourris nourrit nourrissons nourrissez nourrissent|nourrir|nourri|feed feeds fed||dobj|a|p|
avoir|ai as a avons avez ont|aur|eu|have has had||dobj|a o t c v|p a|
oublier|-|-|oublié|forget forgets forgot||dobj|o t c|p|
rencontrer|-|-|rencontré|meet meets met||dobj|p|p|
cacher|-|-|caché|hide hides hid||dobj|o t c f|p a|
suivre|suis suis suit suivons suivez suivent|suivr|suivi|follow follows followed||dobj|p a|p a|
choisir|choisis choisis choisit choisissons choisissez choisissent|choisir|choisi|choose chooses chose||dobj|o c f w s|p|
préparer|-|-|préparé|make makes made||dobj|f m d|p|
parler|-|-|parlé|talk talks talked|to|iobj|p|p|
téléphoner|-|-|téléphoné|call calls called||iobj|p|p|
répondre|réponds réponds répond répondons répondez répondent|répondr|répondu|answer answers answered||iobj|p|p|
sourire|souris souris sourit sourions souriez sourient|sourir|souri|smile smiles smiled|at|iobj|p|p|
obéir|obéis obéis obéit obéissons obéissez obéissent|obéir|obéi|obey obeys obeyed||iobj|p|p a|
écrire|écris écris écrit écrivons écrivez écrivent|écrir|écrit|write writes wrote|to|iobj|p|p|
mentir|mens mens ment mentons mentez mentent|mentir|menti|lie lies lied|to|iobj|p|p|
donner|-|-|donné|give gives gave||ditr|o t c f snd|p|
montrer|-|-|montré|show shows showed||ditr|o t c w|p|
offrir|offre offres offre offrons offrez offrent|offrir|offert|give gives gave||ditr|snd c|p|
prêter|-|-|prêté|lend lends lent||ditr|o t c v|p|
envoyer|envoie envoies envoie envoyons envoyez envoient|enverr|envoyé|send sends sent||ditr|snd|p|
vendre|vends vends vend vendons vendez vendent|vendr|vendu|sell sells sold||ditr|o t c v|p|
dormir|dors dors dort dormons dormez dorment|dormir|dormi|sleep sleeps slept||intr||p a|bien mal beaucoup
courir|cours cours court courons courez courent|courr|couru|run runs ran||intr||p a|vite lentement
marcher|-|-|marché|walk walks walked||intr||p a|vite lentement
nager|nage nages nage nageons nagez nagent|-|nagé|swim swims swam||intr||p a|bien mal vite
chanter|-|-|chanté|sing sings sang||intr||p a|bien mal fort doucement
danser|-|-|dansé|dance dances danced||intr||p|bien mal
travailler|-|-|travaillé|work works worked||intr||p|bien beaucoup dur
jouer|-|-|joué|play plays played||intr||p a|bien
pleurer|-|-|pleuré|cry cries cried||intr||p|beaucoup
rire|ris ris rit rions riez rient|rir|ri|laugh laughs laughed||intr||p|fort beaucoup
manger|mange manges mange mangeons mangez mangent|-|mangé|eat eats ate||intr||p a|bien mal beaucoup vite lentement
lire|lis lis lit lisons lisez lisent|lir|lu|read reads read||intr||p|beaucoup vite lentement
parler|-|-|parlé|talk talks talked||intr||p|fort vite lentement doucement beaucoup
étudier|-|-|étudié|study studies studied||intr||p|bien beaucoup
voyager|voyage voyages voyage voyageons voyagez voyagent|-|voyagé|travel travels traveled||intr||p|beaucoup
crier|-|-|crié|shout shouts shouted||intr||p a|fort
cuisiner|-|-|cuisiné|cook cooks cooked||intr||p|bien mal
attendre|attends attends attend attendons attendez attendent|attendr|attendu|wait waits waited||intr||p a|
aller|vais vas va allons allez vont|ir|allé|go goes went||go||p a|
partir|pars pars part partons partez partent|partir|parti|leave leaves left||leave||p a|
rester|-|-|resté|stay stays stayed||stay||p a|
"""

_MANNER_EN = {
    "bien": ["well"],
    "mal": ["badly"],
    "beaucoup": ["a", "lot"],
    "vite": ["fast"],
    "lentement": ["slowly"],
    "fort": ["loudly"],
    "doucement": ["softly"],
    "dur": ["hard"],
}
#: Manner adverbs that sit between the auxiliary and the participle.
_SHORT_MANNER = frozenset({"bien", "mal", "beaucoup"})
#: Frequency adverbs: (french, english, allowed tenses).
_FREQ_ADVS = (
    ("souvent", "often", ("pres", "past", "fut")),
    ("parfois", "sometimes", ("pres", "past", "fut")),
    ("rarement", "rarely", ("pres", "past", "fut")),
    ("toujours", "always", ("pres", "fut")),
)

_NUMBERS = (
    ("un", "one", 1), ("deux", "two", 2), ("trois", "three", 3), ("quatre", "four", 4),
    ("cinq", "five", 5), ("six", "six", 6), ("sept", "seven", 7), ("huit", "eight", 8),
    ("neuf", "nine", 9), ("dix", "ten", 10), ("onze", "eleven", 11), ("douze", "twelve", 12),
    ("treize", "thirteen", 13), ("quatorze", "fourteen", 14), ("quinze", "fifteen", 15),
    ("seize", "sixteen", 16), ("dix-sept", "seventeen", 17), ("dix-huit", "eighteen", 18),
    ("dix-neuf", "nineteen", 19), ("vingt", "twenty", 20), ("trente", "thirty", 30),
    ("quarante", "forty", 40), ("cinquante", "fifty", 50), ("soixante", "sixty", 60),
    ("cent", "one hundred", 100),
)
_NUM_BY_VALUE = {v: (fr, en.split()) for fr, en, v in _NUMBERS}
#: Numbers used as determiners (2..20 and some tens).
_DET_NUMBERS = tuple(v for _, _, v in _NUMBERS if v >= 2)

_NAMES = (
    ("marie", "marie", "f"), ("paul", "paul", "m"), ("pierre", "pierre", "m"),
    ("sophie", "sophie", "f"), ("lucas", "lucas", "m"), ("julie", "julie", "f"),
    ("thomas", "thomas", "m"), ("léa", "lea", "f"), ("louis", "louis", "m"),
    ("chloé", "chloe", "f"), ("nicolas", "nicolas", "m"), ("camille", "camille", "f"),
    ("julien", "julien", "m"), ("claire", "claire", "f"), ("marc", "marc", "m"),
    ("lucie", "lucie", "f"),
)

# Subject pronouns: french, person index (0 je .. 5 ils), english, gender or None.
_SUBJ_PRONOUNS = (
    ("je", 0, "i", None),
    ("tu", 1, "you", None),
    ("il", 2, "he", "m"),
    ("elle", 2, "she", "f"),
    ("nous", 3, "we", None),
    ("vous", 4, "you", None),
    ("ils", 5, "they", "m"),
    ("elles", 5, "they", "f"),
)
_SUBJ_PRONOUN_WEIGHTS = (0.2, 0.12, 0.18, 0.17, 0.1, 0.1, 0.08, 0.05)
#: Pronouns that may be inverted with the verb (« vois-tu »).
_INVERTIBLE = ("tu", "il", "elle", "vous", "ils", "elles")
#: Object clitics for speech-act persons: person -> (french, english).
_PERSON_CLITICS = {0: ("me", "me"), 1: ("te", "you"), 3: ("nous", "us"), 4: ("vous", "you")}

_AVOIR_PRES = ("ai", "as", "a", "avons", "avez", "ont")
_ETRE_PRES = ("suis", "es", "est", "sommes", "êtes", "sont")
_ETRE_FUT = "ser"
_FUT_END = ("ai", "as", "a", "ons", "ez", "ont")
_VOULOIR = ("veux veux veut voulons voulez veulent".split(), "voudr", "voulu", ("want", "wants", "wanted"))

# Possessives: person index -> (masc sg, fem sg, plural, english options).
_POSSESSIVES = {
    0: ("mon", "ma", "mes", ("my",)),
    1: ("ton", "ta", "tes", ("your",)),
    2: ("son", "sa", "ses", ("his", "her")),
    3: ("notre", "notre", "nos", ("our",)),
    4: ("votre", "votre", "vos", ("your",)),
    5: ("leur", "leur", "leurs", ("their",)),
}

# Places: (french preposition tokens, noun or None, gender, english "at" phrase,
#          english "to" phrase or None, kinds).  kinds: gen (people/animals can be
#          there), obj (objects can lie there), city.
_PLACE_TABLE = (
    (("dans",), "jardin", "m", "in the garden", None, "gen"),
    (("dans",), "cuisine", "f", "in the kitchen", None, "gen obj"),
    (("dans",), "chambre", "f", "in the bedroom", None, "gen obj"),
    (("dans",), "salon", "m", "in the living room", None, "gen obj"),
    (("dans",), "rue", "f", "in the street", None, "gen"),
    (("dans",), "forêt", "f", "in the forest", "to the forest", "gen"),
    (("dans",), "parc", "m", "in the park", None, "gen"),
    (("dans",), "voiture", "f", "in the car", None, "gen obj"),
    (("dans",), "sac", "m", "in the bag", None, "obj"),
    (("dans",), "boîte", "f", "in the box", None, "obj"),
    (("sur",), "table", "f", "on the table", None, "obj"),
    (("sur",), "lit", "m", "on the bed", None, "gen obj"),
    (("sur",), "chaise", "f", "on the chair", None, "obj"),
    (("sous",), "lit", "m", "under the bed", None, "obj"),
    (("sous",), "table", "f", "under the table", None, "obj"),
    (("sous",), "arbre", "m", "under the tree", None, "gen"),
    (("sur",), "pont", "m", "on the bridge", None, "gen"),
    (("à",), "maison", "f", "at home", "home", "gen"),
    (("à",), "école", "f", "at school", "to school", "gen"),
    (("à",), "plage", "f", "at the beach", "to the beach", "gen"),
    (("à",), "bibliothèque", "f", "at the library", "to the library", "gen"),
    (("à",), "gare", "f", "at the station", "to the station", "gen"),
    (("à",), "marché", "m", "at the market", "to the market", "gen"),
    (("à",), "restaurant", "m", "at the restaurant", "to the restaurant", "gen"),
    (("à",), "bureau", "m", "at the office", "to the office", "gen"),
    (("à",), "cinéma", "m", "at the movies", "to the movies", "gen"),
    (("à",), "hôpital", "m", "at the hospital", "to the hospital", "gen"),
    (("à",), "musée", "m", "at the museum", "to the museum", "gen"),
    (("à",), "piscine", "f", "at the pool", "to the pool", "gen"),
    (("à",), "église", "f", "at church", "to church", "gen"),
    (("à",), "aéroport", "m", "at the airport", "to the airport", "gen"),
    (("à",), "parc", "m", "at the park", "to the park", "gen"),
    (("à",), "campagne", "f", "in the country", "to the country", "gen"),
    (("à",), "montagne", "f", "in the mountains", "to the mountains", "gen"),
    (("près", "de"), "gare", "f", "near the station", None, "gen"),
    (("près", "de"), "école", "f", "near the school", None, "gen"),
    (("près", "de"), "lac", "m", "near the lake", None, "gen"),
    (("devant",), "maison", "f", "in front of the house", None, "gen"),
    (("devant",), "hôtel", "m", "in front of the hotel", None, "gen"),
    (("derrière",), "église", "f", "behind the church", None, "gen"),
    (("derrière",), "magasin", "m", "behind the store", None, "gen"),
    (("en",), "ville", None, "in town", "to town", "gen city"),
    (("à",), "paris", None, "in paris", "to paris", "gen city"),
    (("à",), "londres", None, "in london", "to london", "gen city"),
    (("à",), "lyon", None, "in lyon", "to lyon", "gen city"),
    (("à",), "marseille", None, "in marseille", "to marseille", "gen city"),
    (("à",), "rome", None, "in rome", "to rome", "gen city"),
    (("à",), "bruxelles", None, "in brussels", "to brussels", "gen city"),
    (("à",), "montréal", None, "in montreal", "to montreal", "gen city"),
    (("à",), "genève", None, "in geneva", "to geneva", "gen city"),
)

_DAYS = (
    ("lundi", "monday"), ("mardi", "tuesday"), ("mercredi", "wednesday"), ("jeudi", "thursday"),
    ("vendredi", "friday"), ("samedi", "saturday"), ("dimanche", "sunday"),
)

_WEATHER_ADJ = (
    # french adjective after « fait », english subject, english adjective
    ("froid", ("it",), "cold"),
    ("chaud", ("it",), "hot"),
    ("beau", ("the", "weather"), "nice"),
    ("mauvais", ("the", "weather"), "bad"),
)
_WEATHER_VERBS = (
    # present, future stem, participle, english -ing, english past, english base
    ("pleut", "pleuvr", "plu", "raining", "rained", "rain"),
    ("neige", "neiger", "neigé", "snowing", "snowed", "snow"),
)

_CONJUNCTIONS = (
    # french tokens, english tokens, weight
    (("et",), ("and",), 0.3),
    (("mais",), ("but",), 0.25),
    (("parce", "que"), ("because",), 0.25),
    (("donc",), ("so",), 0.1),
)

# Words before which no elision happens although they start with a vowel letter
# (h aspiré and a few numerals).
_NO_ELISION = frozenset({"huit", "onze", "hibou", "héros", "haricot", "hache", "haut", "honte"})
_ELIDABLE = {"je": "j'", "me": "m'", "te": "t'", "le": "l'", "la": "l'", "ne": "n'", "de": "d'", "que": "qu'"}
_FR_VOWELS = frozenset("aeiouàâäéèêëîïôöûùüœh")
#: Pre-nominal adjective + noun pairs that would form a different lexeme
#: (« beau-père » father-in-law, « petit ami » boyfriend, « petits-enfants »...).
_BAD_PRE_PAIRS = frozenset(
    [("beau", n) for n in ("père", "mère", "frère", "sœur", "fille")]
    + [("petit", n) for n in ("ami", "amie", "enfant")]
    + [("vieux", "fille"), ("bon", "homme"), ("bon", "femme"), ("grand", "mère")]
)


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Noun:
    sg: str
    pl: Optional[str]
    g: str
    en_sg: Tuple[str, ...]
    en_pl: Optional[Tuple[str, ...]]
    cats: FrozenSet[str]

    @property
    def mass(self) -> bool:
        return self.pl is None


@dataclass(frozen=True)
class _Adj:
    forms: Tuple[str, str, str, str]  # ms, fs, mp, fp
    en: str
    attr: FrozenSet[str]
    pred: FrozenSet[str]
    pre: bool
    colour: bool
    ms_vowel: Optional[str]
    en_pred_person: Optional[str]
    en_attr_person: Optional[str]
    en_masc_person: Optional[str]

    def english(self, person: bool, g: str, predicative: bool) -> str:
        """English adjective, depending on the noun (person or not, gender) and the use."""
        if person and g == "m" and self.en_masc_person:
            return self.en_masc_person
        if person and predicative and self.en_pred_person:
            return self.en_pred_person
        if person and not predicative and self.en_attr_person:
            return self.en_attr_person
        return self.en

    def fr(self, g: str, plural: bool, next_word: Optional[str] = None) -> str:
        if g == "m" and not plural and self.ms_vowel and next_word and _vowel_start(next_word):
            return self.ms_vowel
        return self.forms[(1 if g == "f" else 0) + (2 if plural else 0)]


@dataclass(frozen=True)
class _Verb:
    inf: str
    pres: Tuple[str, ...]
    fut: str
    pp: str
    en: Tuple[str, str, str]
    prt: Tuple[str, ...]
    kind: str
    obj: FrozenSet[str]
    subj: FrozenSet[str]
    manner: Tuple[str, ...]


def _parse_nouns() -> Tuple[_Noun, ...]:
    out = []
    for line in _NOUN_TABLE.strip().splitlines():
        sg, pl, g, en_sg, en_pl, cats = line.split("|")
        out.append(
            _Noun(
                sg=sg,
                pl=None if pl == "-" else pl,
                g=g,
                en_sg=tuple(en_sg.split()),
                en_pl=None if en_pl == "-" else tuple(en_pl.split()),
                cats=frozenset(cats.split()),
            )
        )
    return tuple(out)


def _parse_adjs() -> Tuple[_Adj, ...]:
    out = []
    for line in _ADJ_TABLE.strip().splitlines():
        ms, fs, mp, fp, en, attr, pred, flags = line.split("|")
        fl = flags.split()
        opts = dict(f.split("=", 1) for f in fl if "=" in f)
        out.append(
            _Adj(
                forms=(ms, fs, mp, fp),
                en=en,
                attr=frozenset(attr.split()),
                pred=frozenset(pred.split()),
                pre="pre" in fl,
                colour="col" in fl,
                ms_vowel=opts.get("v"),
                en_pred_person=opts.get("pp"),
                en_attr_person=opts.get("pa"),
                en_masc_person=opts.get("pm"),
            )
        )
    return tuple(out)


def _regular_present(inf: str) -> Tuple[str, ...]:
    stem = inf[:-2]
    nous = stem + ("eons" if stem.endswith("g") else "ons")
    return (stem + "e", stem + "es", stem + "e", nous, stem + "ez", stem + "ent")


def _parse_verbs() -> Tuple[_Verb, ...]:
    out = []
    for line in _VERB_TABLE.strip().splitlines():
        inf, pres, fut, pp, en, prt, kind, obj, subj, extra = line.split("|")
        pres_t = _regular_present(inf) if pres == "-" else tuple(pres.split())
        if fut == "-":
            fut = inf[:-1] if inf.endswith("re") else inf
        assert len(pres_t) == 6, inf
        base, s3, past = en.split()
        out.append(
            _Verb(
                inf=inf,
                pres=pres_t,
                fut=fut,
                pp=pp,
                en=(base, s3, past),
                prt=tuple(prt.split()),
                kind=kind,
                obj=frozenset(obj.split()),
                subj=frozenset(subj.split()),
                manner=tuple(extra.split()),
            )
        )
    return tuple(out)


_NOUNS = _parse_nouns()
_ADJS = _parse_adjs()
_VERBS = _parse_verbs()
_PRE_ADJS = tuple(a for a in _ADJS if a.pre)
_COLOUR_EN = frozenset(a.en for a in _ADJS if a.colour)
#: Adjectives denoting temporary states (they accept a time adjunct: « malade demain »).
_STATE_ADJS = frozenset(
    "chaud froid sale propre fatigué malade triste heureux content occupé calme prêt vide".split()
)
_POST_ADJS = tuple(a for a in _ADJS if not a.pre)
_VERBS_BY_KIND: Dict[str, Tuple[_Verb, ...]] = {}
for _v in _VERBS:
    _VERBS_BY_KIND.setdefault(_v.kind, ())
    _VERBS_BY_KIND[_v.kind] += (_v,)
del _v
#: Verbs that can follow « vouloir » as an infinitive.
_MODAL_INNER = tuple(
    v
    for v in _VERBS
    if v.kind in ("dobj", "iobj", "intr", "go", "stay") and v.inf not in ("aimer", "détester", "connaître")
)
_NON_ANIMATE = frozenset({"p", "a", "pet"})
#: Verbs whose object takes the definite (generic) article, never a partitive.
_LIKING_VERBS = frozenset({"aimer", "détester"})
#: Verbs of state: no place adjunct, no present-tense time adjunct.
_STATIVE_VERBS = frozenset({"aimer", "détester", "connaître", "avoir"})


def _what_ok(verb: _Verb) -> bool:
    """Whether « qu'est-ce que ... VERB » (object gap = a thing) makes sense."""
    return verb.kind in ("dobj", "ditr") and bool(verb.obj - _NON_ANIMATE)


# --------------------------------------------------------------------------- helpers


def _vowel_start(word: str) -> bool:
    """True if a French ``word`` triggers elision of a preceding le/la/je/de/que..."""
    return bool(word) and word not in _NO_ELISION and word[0] in _FR_VOWELS


def _elide(tokens: Sequence[str]) -> List[str]:
    """Apply French elision (le homme -> l'homme, si il -> s'il) to a token list."""
    out: List[str] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if i + 1 < n:
            nxt = tokens[i + 1]
            if tok in _ELIDABLE and _vowel_start(nxt):
                out.append(_ELIDABLE[tok] + nxt)
                i += 2
                continue
            if tok == "si" and nxt in ("il", "ils"):
                out.append("s'" + nxt)
                i += 2
                continue
        out.append(tok)
        i += 1
    return out


def _en_article_fix(tokens: Sequence[str]) -> List[str]:
    """Turn the English indefinite article "a" into "an" before a vowel sound."""
    out = list(tokens)
    for i in range(len(out) - 1):
        if out[i] == "a" and _en_vowel_sound(out[i + 1]):
            out[i] = "an"
    return out


def _en_vowel_sound(word: str) -> bool:
    if word.startswith(("uni", "use", "eu", "one", "once")):
        return False
    if word.startswith(("hour", "honest", "heir")):
        return True
    return word[0] in "aeiou"


def _invert(form: str, pron: str) -> str:
    """Inverted verb form: « vois » + « tu » -> « vois-tu », « mange » + « il » -> « mange-t-il »."""
    if pron in ("il", "elle") and form[-1] in "ae":
        return f"{form}-t-{pron}"
    return f"{form}-{pron}"


def _agree_pp(pp: str, g: str, plural: bool) -> str:
    """Past participle agreeing with a preceding direct object."""
    if g == "f":
        return pp + ("es" if plural else "e")
    if plural:
        return pp if pp.endswith("s") else pp + "s"
    return pp


def _finite(verb: _Verb, tense: str, person: int) -> str:
    """French finite form (for the past: the auxiliary « avoir »)."""
    if tense == "pres":
        return verb.pres[person]
    if tense == "fut":
        return verb.fut + _FUT_END[person]
    return _AVOIR_PRES[person]


def _be_en(person: int, tense: str = "pres") -> str:
    if tense == "past":
        return "was" if person in (0, 2) else "were"
    return "am" if person == 0 else "is" if person == 2 else "are"


def _weighted(rng: random.Random, items: Sequence, weights: Sequence[float]):
    return rng.choices(items, weights=weights, k=1)[0]


def _nouns_with(cats: FrozenSet[str], *, count_only: bool = False) -> Tuple[_Noun, ...]:
    return tuple(n for n in _NOUNS if n.cats & cats and not (count_only and n.mass))


_NOUNS_CACHE: Dict[Tuple[FrozenSet[str], bool], Tuple[_Noun, ...]] = {}


def _pick_noun(rng: random.Random, cats: FrozenSet[str], count_only: bool = False) -> _Noun:
    key = (cats, count_only)
    pool = _NOUNS_CACHE.get(key)
    if pool is None:
        pool = _NOUNS_CACHE[key] = _nouns_with(cats, count_only=count_only)
    return rng.choice(pool)


# --------------------------------------------------------------------------- noun phrases


@dataclass
class _NP:
    fr: List[str]
    en: List[str]
    g: str
    plural: bool
    tags: Set[str]
    noun: Optional[_Noun] = None


def _adj_en(adj: _Adj, noun: _Noun, g: str) -> str:
    return adj.english("p" in noun.cats, g, predicative=False)


def _build_np(
    noun: _Noun,
    plural: bool,
    det: str,
    *,
    poss: int = 0,
    poss_en: int = 0,
    num: int = 0,
    pre: Optional[_Adj] = None,
    post: Optional[_Adj] = None,
    neg: bool = False,
    generic: bool = False,
) -> _NP:
    """Build a noun phrase (unelided French tokens, English tokens).

    det: def, indef, part (mass nouns), poss, dem, num, defnum, possnum.
    neg: the NP is the direct object of a negated verb, so indefinite and
    partitive articles become « de ».
    generic: object of a verb of liking (« j'aime le lait » -> "i like milk"):
    a definite mass or plural noun has no English article.
    """
    g = noun.g
    word = noun.pl if plural else noun.sg
    assert word is not None
    head_fr: List[str] = []
    head_en: List[str] = []
    tags: Set[str] = set()
    if pre is not None:
        head_fr.append(pre.fr(g, plural, word))
        head_en.append(_adj_en(pre, noun, g))
    head_fr.append(word)
    if post is not None:
        head_fr.append(post.fr(g, plural))
        head_en.append(_adj_en(post, noun, g))
        tags.add("adj_noun_reordering")
    head_en.extend(noun.en_pl if plural else noun.en_sg)
    first = head_fr[0]
    vowel = _vowel_start(first)
    if det == "def":
        d_fr = ["les"] if plural else ["le" if g == "m" else "la"]
        d_en = [] if generic and (plural or noun.mass) else ["the"]
    elif det == "indef":
        if neg:
            d_fr = ["de"]
            d_en = ["any"] if plural else ["a"]
        elif plural:
            d_fr = ["de"] if pre is not None else ["des"]
            d_en = []
        else:
            d_fr = ["un" if g == "m" else "une"]
            d_en = ["a"]
    elif det == "part":
        if neg:
            d_fr = ["de"]
        elif vowel:
            d_fr = ["de", "la"]  # elided to « de l' »
        else:
            d_fr = ["du"] if g == "m" else ["de", "la"]
        d_en = []
    elif det in ("poss", "possnum"):
        ms, fs, pl_, en_opts = _POSSESSIVES[poss]
        if plural:
            d_fr = [pl_]
        elif g == "m" or vowel:
            d_fr = [ms]
        else:
            d_fr = [fs]
        d_en = [en_opts[poss_en % len(en_opts)]]
    elif det == "dem":
        if plural:
            d_fr, d_en = ["ces"], ["these"]
        elif g == "f":
            d_fr, d_en = ["cette"], ["this"]
        else:
            d_fr, d_en = (["cet"] if vowel else ["ce"]), ["this"]
    elif det == "num":
        d_fr, d_en = [], []
    elif det == "defnum":
        d_fr, d_en = ["les"], ["the"]
    else:
        raise AssertionError(det)
    if det in ("num", "defnum", "possnum"):
        nfr, nen = _NUM_BY_VALUE[num]
        d_fr = d_fr + [nfr]
        d_en = d_en + nen
        tags.add("number")
    return _NP(fr=d_fr + head_fr, en=d_en + head_en, g=g, plural=plural, tags=tags, noun=noun)


def _sample_np(
    rng: random.Random,
    cats: FrozenSet[str],
    *,
    neg: bool = False,
    adj_p: float = 0.4,
    num_p: float = 0.09,
    noun: Optional[_Noun] = None,
    role: str = "obj",
) -> _NP:
    """Random noun phrase whose noun belongs to one of ``cats``.

    role: ``obj`` (any determiner), ``subj`` (no partitive), ``def`` (definite-like
    determiners only: for « où est le chat »), ``generic`` (object of « aimer »,
    « détester »: no partitive, generic English for definite mass/plural nouns).
    """
    if noun is None:
        noun = _pick_noun(rng, cats)
    pre = post = None
    if rng.random() < adj_p:
        pres_ = [a for a in _PRE_ADJS if a.attr & noun.cats and (a.forms[0], noun.sg) not in _BAD_PRE_PAIRS]
        posts = [a for a in _POST_ADJS if a.attr & noun.cats]
        r = rng.random()
        if posts and (r < 0.68 or not pres_):
            post = rng.choice(posts)
            if post.colour and pres_ and rng.random() < 0.15:
                pre = rng.choice(pres_)
        elif pres_:
            pre = rng.choice(pres_)
    poss = rng.randrange(6)
    poss_en = rng.randrange(2)
    definite = role == "def"
    generic = role == "generic"
    if noun.mass:
        det = _weighted(rng, ("part", "def", "poss", "dem"), (0.55 if role == "obj" else 0, 0.28, 0.12, 0.05))
        return _build_np(noun, False, det, poss=poss, poss_en=poss_en, pre=pre, post=post, neg=neg, generic=generic)
    if rng.random() < num_p:
        num = rng.choice(_DET_NUMBERS) if rng.random() < 0.3 else rng.choice(_DET_NUMBERS[:9])
        det = _weighted(rng, ("num", "defnum", "possnum"), (0 if definite else 0.75, 0.12, 0.13))
        return _build_np(noun, True, det, poss=poss, poss_en=poss_en, num=num, pre=pre, post=post, neg=neg)
    plural = rng.random() < 0.28
    det = _weighted(rng, ("def", "indef", "poss", "dem"), (0.42, 0 if definite or generic else 0.33, 0.17, 0.08))
    return _build_np(noun, plural, det, poss=poss, poss_en=poss_en, pre=pre, post=post, neg=neg, generic=generic)


def _with_a(np_fr: List[str]) -> List[str]:
    """Prefix « à » to a French NP, contracting « à le » -> « au », « à les » -> « aux »."""
    if np_fr and np_fr[0] == "les":
        return ["aux"] + np_fr[1:]
    if np_fr and np_fr[0] == "le" and len(np_fr) > 1 and not _vowel_start(np_fr[1]):
        return ["au"] + np_fr[1:]
    return ["à"] + np_fr


def _place_tokens(entry) -> List[str]:
    """French tokens of a place adjunct (unelided)."""
    prep, noun, g, _, _, _ = entry
    prep = list(prep)
    if noun is None or "city" in entry[5]:
        return prep + [noun]
    vowel = _vowel_start(noun)
    if prep[-1] in ("à", "de") and g == "m" and not vowel:
        return prep[:-1] + [{"à": "au", "de": "du"}[prep[-1]], noun]
    return prep + ["le" if g == "m" else "la", noun]


_PLACES_GEN = tuple(p for p in _PLACE_TABLE if "gen" in p[5].split())
_PLACES_OBJ = tuple(p for p in _PLACE_TABLE if "obj" in p[5].split())
_PLACES_TO = tuple(p for p in _PLACE_TABLE if p[4] is not None)
_PLACES_CITY = tuple(p for p in _PLACE_TABLE if "city" in p[5].split())


# --------------------------------------------------------------------------- subjects


@dataclass
class _Subj:
    fr: List[str]
    en: List[str]
    person: int
    g: str
    plural: bool
    pron: Optional[str]
    tags: Set[str]
    cats: FrozenSet[str]


def _pronoun_subject(rng: random.Random, choices: Optional[Sequence[str]] = None) -> _Subj:
    if choices is None:
        fr, person, en, g = _weighted(rng, _SUBJ_PRONOUNS, _SUBJ_PRONOUN_WEIGHTS)
    else:
        fr, person, en, g = rng.choice([p for p in _SUBJ_PRONOUNS if p[0] in choices])
    if g is None:
        g = rng.choice("mf")
    return _Subj([fr], [en], person, g, person >= 3, fr, set(), frozenset({"p"}))


def _sample_subject(rng: random.Random, cats: FrozenSet[str], *, pron_p: float = 0.5, num_p: float = 0.09) -> _Subj:
    """Random subject compatible with the subject categories ``cats`` (p/a)."""
    r = rng.random()
    if "p" in cats and r < pron_p:
        return _pronoun_subject(rng)
    if "p" not in cats and r < pron_p * 0.4:
        return _pronoun_subject(rng, ("il", "elle", "ils", "elles"))
    if "p" in cats and r < pron_p + 0.12:
        fr, en, g = rng.choice(_NAMES)
        return _Subj([fr], [en], 2, g, False, None, set(), frozenset({"p"}))
    np = _sample_np(rng, cats, adj_p=0.25, num_p=num_p, role="subj")
    return _Subj(np.fr, np.en, 5 if np.plural else 2, np.g, np.plural, None, np.tags, np.noun.cats)


def _who_subject() -> _Subj:
    return _Subj(["qui"], ["who"], 2, "m", False, None, set(), frozenset({"p"}))


# --------------------------------------------------------------------------- clauses


@dataclass
class _Clause:
    fr: List[str]
    en: List[str]
    tags: Set[str]
    ref: Optional[Tuple[_Noun, bool]] = None  # direct-object referent (for anaphora)
    subj: Optional[_Subj] = None
    time_n: Tuple[int, int] = (0, 0)  # trailing time adjunct length (french, english)


#: Question modes.
#:   decl: declarative; est: « est-ce que »; inv: inversion; wh: « où/quand/pourquoi
#:   est-ce que »; what: « qu'est-ce que » (object gap); whoobj: « qui est-ce que »
#:   (object gap); whosubj: « qui » subject; whereis: « où est le chat ».


def _time_adjunct(rng: random.Random, tense: str, habitual: bool = True) -> Tuple[List[str], List[str], Set[str]]:
    """A time adverbial compatible with ``tense`` (French tokens unelided).

    habitual=False excludes habitual present-tense adverbials (« le lundi »,
    « chaque jour »), e.g. for « il pleut » -> "it is raining".
    """
    tags: Set[str] = set()
    r = rng.random()
    if tense == "pres" and not habitual and r >= 0.4:
        return ["aujourd'hui"], ["today"], tags
    if r < 0.1 or (tense == "pres" and not habitual):
        n = rng.randrange(1, 13)
        nfr, nen = _NUM_BY_VALUE[n]
        if n == 1:
            return ["à", "une", "heure"], ["at", "one", "o'clock"], {"number"}
        return ["à", nfr, "heures"], ["at"] + nen + ["o'clock"], {"number"}
    if tense == "pres":
        opts = [
            (["aujourd'hui"], ["today"]),
            (["le", "matin"], ["in", "the", "morning"]),
            (["le", "soir"], ["in", "the", "evening"]),
            (["le", "après-midi"], ["in", "the", "afternoon"]),
            (["chaque", "jour"], ["every", "day"]),
            (["tous", "les", "jours"], ["every", "day"]),
            (["chaque", "semaine"], ["every", "week"]),
            (["le", "week-end"], ["on", "weekends"]),
        ]
        if rng.random() < 0.3:
            d_fr, d_en = rng.choice(_DAYS)
            return ["le", d_fr], ["on", d_en + "s"], tags
        return (*rng.choice(opts), tags)
    if tense == "past":
        opts = [
            (["hier"], ["yesterday"]),
            (["hier", "soir"], ["last", "night"]),
            (["hier", "matin"], ["yesterday", "morning"]),
            (["la", "semaine", "dernière"], ["last", "week"]),
            (["le", "mois", "dernier"], ["last", "month"]),
            (["la", "année", "dernière"], ["last", "year"]),
            (["ce", "matin"], ["this", "morning"]),
        ]
        r = rng.random()
        if r < 0.15:
            d_fr, d_en = rng.choice(_DAYS)
            return [d_fr, "dernier"], ["last", d_en], tags
        if r < 0.3:
            n = rng.randrange(2, 11)
            unit = rng.choice((("jours", "days"), ("semaines", "weeks"), ("ans", "years")))
            nfr, nen = _NUM_BY_VALUE[n]
            return ["il", "y", "a", nfr, unit[0]], nen + [unit[1], "ago"], {"number"}
        return (*rng.choice(opts), tags)
    opts = [
        (["demain"], ["tomorrow"]),
        (["demain", "matin"], ["tomorrow", "morning"]),
        (["demain", "soir"], ["tomorrow", "evening"]),
        (["la", "semaine", "prochaine"], ["next", "week"]),
        (["le", "mois", "prochain"], ["next", "month"]),
        (["la", "année", "prochaine"], ["next", "year"]),
        (["bientôt"], ["soon"]),
        (["ce", "soir"], ["tonight"]),
    ]
    r = rng.random()
    if r < 0.15:
        d_fr, d_en = rng.choice(_DAYS)
        return [d_fr, "prochain"], ["next", d_en], tags
    if r < 0.3:
        n = rng.randrange(2, 11)
        unit = rng.choice((("jours", "days"), ("semaines", "weeks")))
        nfr, nen = _NUM_BY_VALUE[n]
        return ["dans", nfr, unit[0]], ["in"] + nen + [unit[1]], {"number"}
    return (*rng.choice(opts), tags)


def _en_verb_group(
    subj_en: List[str],
    person: int,
    tense: str,
    neg: bool,
    question: bool,
    forms: Tuple[str, str, str],
    adv: Optional[str] = None,
) -> List[str]:
    """English subject + verb group with do-support (no objects)."""
    base, s3, past = forms
    if tense == "pres":
        if neg or question:
            aux: Optional[str] = "does" if person == 2 else "do"
            main = base
        else:
            aux, main = None, (s3 if person == 2 else base)
    elif tense == "past":
        if neg or question:
            aux, main = "did", base
        else:
            aux, main = None, past
    else:
        aux, main = "will", base
    advs = [adv] if adv else []
    if question:
        assert aux is not None
        return [aux] + subj_en + (["not"] if neg else []) + advs + [main]
    return subj_en + ([aux] if aux else []) + (["not"] if neg else []) + advs + [main]


def _en_be_group(
    subj_en: List[str], person: int, tense: str, neg: bool, question: bool, adv: Optional[str] = None
) -> List[str]:
    """English subject + form of "to be" (pres/fut/past) with negation/question order."""
    advs = [adv] if adv else []
    notl = ["not"] if neg else []
    if tense in ("pres", "past"):
        be = _be_en(person, tense)
        if question:
            return [be] + subj_en + notl + advs
        return subj_en + [be] + notl + advs
    if question:
        return ["will"] + subj_en + notl + advs + ["be"]
    return subj_en + ["will"] + notl + advs + ["be"]


def _fr_group(
    subj: _Subj,
    fin: str,
    *,
    inv: bool,
    neg: bool,
    clitic: Optional[str] = None,
    mid: Optional[str] = None,
    pp: Optional[str] = None,
) -> List[str]:
    """French subject + [ne] [clitic] finite verb [pas] [adverb] [participle]."""
    toks: List[str] = []
    if not inv:
        toks += subj.fr
    if neg:
        toks.append("ne")
    if clitic:
        toks.append(clitic)
    toks.append(_invert(fin, subj.pron) if inv else fin)
    if neg:
        toks.append("pas")
    if mid:
        toks.append(mid)
    if pp:
        toks.append(pp)
    return toks


def _question_prefix(mode: str, wh: Optional[str]) -> Tuple[List[str], List[str]]:
    if mode == "est":
        return ["est-ce", "que"], []
    if mode == "wh":
        fr_wh, en_wh = {"où": ("où", "where"), "quand": ("quand", "when"), "pourquoi": ("pourquoi", "why")}[wh]
        return [fr_wh, "est-ce", "que"], [en_wh]
    if mode == "what":
        return ["que", "est-ce", "que"], ["what"]
    if mode == "whoobj":
        return ["qui", "est-ce", "que"], ["who"]
    return [], []


def _obj_pronoun_en(noun: _Noun, plural: bool, g: str) -> str:
    if plural:
        return "them"
    if "p" in noun.cats:
        return "him" if g == "m" else "her"
    return "it"


def _third_clitic(noun: _Noun, plural: bool) -> Tuple[str, str, str, bool]:
    """(french clitic, english pronoun, gender, plural) for a direct-object referent."""
    fr = "les" if plural else ("le" if noun.g == "m" else "la")
    return fr, _obj_pronoun_en(noun, plural, noun.g), noun.g, plural


def _clause_verbal(
    rng: random.Random,
    verb: _Verb,
    mode: str,
    *,
    tense: str,
    neg: bool,
    wh: Optional[str] = None,
    subj: Optional[_Subj] = None,
    forced_ref: Optional[Tuple[_Noun, bool]] = None,
    modal: bool = False,
    adjuncts: bool = True,
) -> _Clause:
    """Clause headed by a dobj/iobj/ditr/intr/motion verb (optionally under « vouloir »)."""
    tags: Set[str] = set()
    question = mode not in ("decl", "whosubj")
    if subj is None:
        if mode == "whosubj":
            subj = _who_subject()
        elif mode == "inv":
            subj = _pronoun_subject(rng, _INVERTIBLE)
        else:
            subj = _sample_subject(rng, verb.subj)
    inv = mode == "inv"
    tags |= subj.tags
    kind = verb.kind

    # ---- objects -------------------------------------------------------------------
    clitic_fr: Optional[str] = None  # before the verb (or before the infinitive)
    clitic_en: List[str] = []  # english pronoun after the verb
    agree: Optional[Tuple[str, bool]] = None  # participle agreement (gender, plural)
    obj_fr: List[str] = []
    obj_en: List[str] = []  # after english verb (+particle)
    ref: Optional[Tuple[_Noun, bool]] = None
    gap = mode in ("what", "whoobj")
    en_tail_prep: List[str] = []  # stranded preposition in english wh-questions
    excl = {0: (0, 3), 1: (1, 4), 3: (0, 3), 4: (1, 4)}.get(subj.person, ())

    def person_clitic() -> Optional[Tuple[str, str, int]]:
        opts = [p for p in _PERSON_CLITICS if p not in excl]
        if mode == "whosubj":
            opts = [p for p in opts if p in (0, 3)]
        if not opts:
            return None
        p = rng.choice(opts)
        return _PERSON_CLITICS[p][0], _PERSON_CLITICS[p][1], p

    if kind == "dobj":
        cats = verb.obj
        if gap:
            en_tail_prep = list(verb.prt)
        elif forced_ref is not None or rng.random() < 0.36:
            if forced_ref is None and "p" in cats and rng.random() < 0.25 and (pc := person_clitic()):
                clitic_fr, pron_en, p = pc
                clitic_en = list(verb.prt) + [pron_en]
                agree = (rng.choice("mf"), p >= 3)
            else:
                if forced_ref is not None:
                    noun, plural = forced_ref
                else:
                    noun = _pick_noun(rng, cats)
                    plural = False if noun.mass else rng.random() < 0.3
                clitic_fr, pron_en, g, pl = _third_clitic(noun, plural)
                clitic_en = list(verb.prt) + [pron_en]
                agree = (g, pl)
            tags.add("clitic_pronoun")
        else:
            np = _sample_np(rng, cats, neg=neg, role="generic" if verb.inf in _LIKING_VERBS else "obj")
            obj_fr, obj_en = np.fr, list(verb.prt) + np.en
            tags |= np.tags
            if not neg and np.noun is not None:
                ref = (np.noun, np.plural)
    elif kind == "iobj":
        iprep = list(verb.prt)
        if gap:  # « à qui est-ce que tu parles » -> "who do you talk to"
            en_tail_prep = iprep
        elif rng.random() < 0.4:
            if rng.random() < 0.35 and (pc := person_clitic()):
                clitic_fr, pron_en, _ = pc
            else:
                plural = rng.random() < 0.3
                clitic_fr = "leur" if plural else "lui"
                pron_en = "them" if plural else rng.choice(("him", "her"))
            clitic_en = iprep + [pron_en]
            tags.add("clitic_pronoun")
        else:
            if rng.random() < 0.25:
                fr, en, _ = rng.choice(_NAMES)
                obj_fr, obj_en = _with_a([fr]), iprep + [en]
            else:
                np = _sample_np(rng, frozenset({"p"}), adj_p=0.2)
                obj_fr, obj_en = _with_a(np.fr), iprep + np.en
                tags |= np.tags
    elif kind == "ditr":
        # indirect object (recipient)
        r = rng.random()
        if gap:
            r = max(r, 0.3)  # no direct-object clitic when the direct object is the gap
        rec_tags: Set[str] = set()
        if rng.random() < 0.25:
            fr, en, _ = rng.choice(_NAMES)
            rec_fr, rec_en = _with_a([fr]), [en]
        else:
            np = _sample_np(rng, frozenset({"p"}), adj_p=0.15, num_p=0.04)
            rec_fr, rec_en, rec_tags = _with_a(np.fr), np.en, np.tags
        if r < 0.22 or r >= 0.45:
            tags |= rec_tags  # the recipient NP is used
        if r < 0.22:  # direct-object clitic: « je le donne à marie » -> "i give it to marie"
            noun = _pick_noun(rng, verb.obj)
            plural = False if noun.mass else rng.random() < 0.3
            clitic_fr, pron_en, g, pl = _third_clitic(noun, plural)
            agree = (g, pl)
            clitic_en = [pron_en, "to"] + rec_en
            obj_fr = rec_fr
            tags.add("clitic_pronoun")
        elif r < 0.45:  # indirect clitic: « je lui donne le livre » -> "i give him the book"
            if rng.random() < 0.3 and (pc := person_clitic()):
                clitic_fr, pron_en, _ = pc
            else:
                plural = rng.random() < 0.3
                clitic_fr = "leur" if plural else "lui"
                pron_en = "them" if plural else rng.choice(("him", "her"))
            tags.add("clitic_pronoun")
            if gap:
                clitic_en = [pron_en]
            else:
                np = _sample_np(rng, verb.obj, neg=neg, adj_p=0.3)
                tags |= np.tags
                if pron_en == "her":  # "lend her clean pens" would read as a possessive
                    clitic_en = np.en + ["to", pron_en]
                else:  # double object: "i give him the book"
                    clitic_en = [pron_en] + np.en
                obj_fr = np.fr
        else:
            if gap:
                obj_fr, obj_en = rec_fr, ["to"] + rec_en
            else:
                np = _sample_np(rng, verb.obj, neg=neg, adj_p=0.3)
                tags |= np.tags
                obj_fr = np.fr + rec_fr
                obj_en = np.en + ["to"] + rec_en
    # intr / motion verbs have no object here

    # ---- adverbs -------------------------------------------------------------------
    mid: Optional[str] = None
    mid_en: Optional[str] = None
    end_fr: List[str] = []
    end_en: List[str] = []
    if kind == "intr" and verb.manner and not modal and rng.random() < 0.35:
        adv = rng.choice(verb.manner)
        if tense == "past" and adv in _SHORT_MANNER and not modal:
            mid = adv
        else:
            end_fr = [adv]
        end_en = list(_MANNER_EN[adv])
    elif not neg and not modal and rng.random() < 0.12:
        fa = rng.choice([f for f in _FREQ_ADVS if tense in f[2]])
        mid, mid_en = fa[0], fa[1]

    # ---- motion complements --------------------------------------------------------
    place_used = False
    if kind == "go":
        if not (mode == "wh" and wh == "où"):
            p = rng.choice(_PLACES_TO)
            obj_fr, obj_en = _place_tokens(p), p[4].split()
            place_used = True
    elif kind == "stay":
        if not (mode == "wh" and wh == "où"):
            p = rng.choice(_PLACES_GEN)
            obj_fr, obj_en = _place_tokens(p), p[3].split()
            place_used = True

    # ---- french verb group -----------------------------------------------------------
    if modal:
        vforms, vfut, vpp, ven = _VOULOIR
        if tense == "pres":
            fin = vforms[subj.person]
        elif tense == "fut":
            fin = vfut + _FUT_END[subj.person]
        else:
            fin = _AVOIR_PRES[subj.person]
        pp = vpp if tense == "past" else None
        fr = _fr_group(subj, fin, inv=inv, neg=neg, mid=mid, pp=pp)
        if clitic_fr:
            fr.append(clitic_fr)
        fr.append(verb.inf)
    else:
        fin = _finite(verb, tense, subj.person)
        pp = None
        if tense == "past":
            # agreement with a preceding direct-object clitic: « je l'ai vue »
            pp = verb.pp if agree is None else _agree_pp(verb.pp, agree[0], agree[1])
        fr = _fr_group(subj, fin, inv=inv, neg=neg, clitic=clitic_fr, mid=mid, pp=pp)
    fr += obj_fr
    fr += end_fr

    # ---- english verb group --------------------------------------------------------
    if modal:
        en = _en_verb_group(subj.en, subj.person, tense, neg, question, ven, mid_en)
        en += ["to", verb.en[0]]
    else:
        en = _en_verb_group(subj.en, subj.person, tense, neg, question, verb.en, mid_en)
    en += clitic_en
    en += obj_en
    en += end_en
    en += en_tail_prep

    # ---- place / time adjuncts -----------------------------------------------------
    time_n = (0, 0)
    stative = verb.inf in _STATIVE_VERBS and not modal
    if adjuncts and not en_tail_prep:  # avoid "who do you smile at at noon"
        where_gap = mode == "wh" and wh == "où"
        if not place_used and not stative and kind != "leave" and not where_gap and rng.random() < 0.22:
            p = rng.choice(_PLACES_GEN)
            fr += _place_tokens(p)
            en += p[3].split()
        when_gap = mode == "wh" and wh == "quand"
        time_ok = not when_gap and mid_en is None and not (stative and tense == "pres")
        if time_ok and rng.random() < (0.55 if kind == "leave" else 0.25):
            time_n = _add_time(rng, tense, fr, en, tags)

    pre_fr, pre_en = _question_prefix(mode, wh)
    if mode == "whoobj" and kind == "iobj":
        pre_fr = ["à"] + pre_fr
    return _Clause(pre_fr + fr, pre_en + en, tags | _tense_tags(tense, neg, question), ref=ref, subj=subj,
                   time_n=time_n)


def _add_time(
    rng: random.Random, tense: str, fr: List[str], en: List[str], tags: Set[str], habitual: bool = True
) -> Tuple[int, int]:
    """Append a time adjunct in place; return its (french, english) token counts."""
    t_fr, t_en, t_tags = _time_adjunct(rng, tense, habitual)
    fr += t_fr
    en += t_en
    tags |= t_tags
    return len(t_fr), len(t_en)


def _tense_tags(tense: str, neg: bool, question: bool) -> Set[str]:
    tags = set()
    if tense == "past":
        tags.add("past_tense")
    elif tense == "fut":
        tags.add("future_tense")
    if neg:
        tags.add("negation")
    if question:
        tags.add("question")
    return tags


def _pred_adj(rng: random.Random, subj: _Subj) -> Tuple[str, str, bool]:
    """Predicative adjective agreeing with ``subj``: (french, english, is a temporary state)."""
    cats = subj.cats
    adj = rng.choice([a for a in _ADJS if a.pred & cats])
    return adj.fr(subj.g, subj.plural), adj.english("p" in cats, subj.g, predicative=True), adj.forms[0] in _STATE_ADJS


def _clause_copula(
    rng: random.Random, mode: str, *, tense: str, neg: bool, wh: Optional[str] = None, what: str = "adj"
) -> _Clause:
    """« être » + adjective (what='adj') or + place (what='place'); also « où est X »."""
    question = mode not in ("decl", "whosubj")
    tags: Set[str] = set()
    if mode == "whosubj":
        subj = _who_subject()
    elif mode == "inv" or (mode == "whereis" and rng.random() < 0.35):
        subj = _pronoun_subject(rng, _INVERTIBLE)
    else:
        r = rng.random()
        if r < 0.4:
            subj = _pronoun_subject(rng, _INVERTIBLE if mode == "whereis" else None)
        elif r < 0.5:
            fr, en, g = rng.choice(_NAMES)
            subj = _Subj([fr], [en], 2, g, False, None, set(), frozenset({"p"}))
        else:
            if what == "place" and rng.random() < 0.35:
                cats = frozenset({"o", "t", "c"})
            else:
                cats = frozenset({"p", "a"} if what == "place" else "p a o c v b f m d r w n".split())
            np = _sample_np(rng, cats, adj_p=0.15, num_p=0.06, role="def" if mode == "whereis" else "subj")
            subj = _Subj(np.fr, np.en, 5 if np.plural else 2, np.g, np.plural, None, np.tags, np.noun.cats)
    tags |= subj.tags
    fin = _ETRE_PRES[subj.person] if tense == "pres" else _ETRE_FUT + _FUT_END[subj.person]
    mid = mid_en = None
    if not neg and mode != "whereis" and what == "place" and rng.random() < 0.15:
        fa = rng.choice([f for f in _FREQ_ADVS if tense in f[2]])
        mid, mid_en = fa[0], fa[1]
    if mode == "whereis":
        # « où est le chat » / « où est-il » -> "where is the cat" / "where is he"
        if subj.pron:
            fr = ["où", _invert(fin, subj.pron)]
        else:
            fr = ["où", fin] + subj.fr
        en = ["where"] + _en_be_group(subj.en, subj.person, tense, False, True)
        if tense == "fut" and rng.random() < 0.4:
            _add_time(rng, tense, fr, en, tags)
        return _Clause(fr, en, tags | _tense_tags(tense, False, True), subj=subj)
    state = True
    if what == "adj":
        a_fr, a_en, state = _pred_adj(rng, subj)
        for _ in range(5):  # not « des téléphones verts sont rouges »
            if not (_COLOUR_EN & set(subj.en) and a_en in _COLOUR_EN) and a_en not in subj.en:
                break
            a_fr, a_en, state = _pred_adj(rng, subj)
        p_fr, p_en = [a_fr], [a_en]
    else:
        objish = bool(subj.cats & {"o", "t", "c"}) and "p" not in subj.cats and "a" not in subj.cats
        p = rng.choice(_PLACES_OBJ if objish else _PLACES_GEN)
        p_fr, p_en = _place_tokens(p), p[3].split()
    fr = _fr_group(subj, fin, inv=mode == "inv", neg=neg, mid=mid) + p_fr
    en = _en_be_group(subj.en, subj.person, tense, neg, question, mid_en) + p_en
    time_n = (0, 0)
    if rng.random() < 0.2 and not (mode == "wh" and wh == "quand") and mid_en is None and state:
        # a time only with temporary states, never habitual: « il est fatigué aujourd'hui »
        time_n = _add_time(rng, tense, fr, en, tags, habitual=what == "place")
    pre_fr, pre_en = _question_prefix(mode, wh)
    return _Clause(pre_fr + fr, pre_en + en, tags | _tense_tags(tense, neg, question), subj=subj, time_n=time_n)


def _clause_age(rng: random.Random, mode: str, *, tense: str, neg: bool) -> _Clause:
    """« il a dix ans » -> "he is ten years old"."""
    question = mode != "decl"
    if mode == "inv":
        subj = _pronoun_subject(rng, _INVERTIBLE)
    else:
        subj = _sample_subject(rng, frozenset({"p", "a"}), pron_p=0.45, num_p=0.0)
    n = rng.choice(_DET_NUMBERS[:19] + (1,))
    nfr, nen = _NUM_BY_VALUE[n]
    fin = _finite(_VERB_AVOIR, tense, subj.person)
    fr = _fr_group(subj, fin, inv=mode == "inv", neg=neg) + [nfr, "an" if n == 1 else "ans"]
    en = _en_be_group(subj.en, subj.person, tense, neg, question) + nen + ["year" if n == 1 else "years", "old"]
    pre_fr, _ = _question_prefix(mode, None)
    return _Clause(pre_fr + fr, en, subj.tags | {"number"} | _tense_tags(tense, neg, question), subj=subj)


def _clause_weather(rng: random.Random, mode: str, *, tense: str, neg: bool) -> _Clause:
    """« il pleut » -> "it is raining", « il fait froid » -> "it is cold"."""
    question = mode != "decl"
    inv = mode == "inv"
    subj = _Subj(["il"], ["it"], 2, "m", False, "il", set(), frozenset())
    progressive = False
    if rng.random() < 0.5:
        progressive = tense == "pres"  # « il pleut » -> "it is raining"
        pres, fut, pp, ing, past, base = rng.choice(_WEATHER_VERBS)
        if tense == "pres":
            fr = _fr_group(subj, pres, inv=inv, neg=neg)
            en = _en_be_group(["it"], 2, "pres", neg, question) + [ing]
        elif tense == "fut":
            fr = _fr_group(subj, fut + "a", inv=inv, neg=neg)
            en = _en_verb_group(["it"], 2, "fut", neg, question, (base, base + "s", past))
        else:
            fr = _fr_group(subj, "a", inv=inv, neg=neg, pp=pp)
            en = _en_verb_group(["it"], 2, "past", neg, question, (base, base + "s", past))
    else:
        adj, en_subj, en_adj = rng.choice(_WEATHER_ADJ)
        fin = {"pres": "fait", "fut": "fera", "past": "a"}[tense]
        fr = _fr_group(subj, fin, inv=inv, neg=neg, pp="fait" if tense == "past" else None) + [adj]
        en = _en_be_group(list(en_subj), 2, tense, neg, question) + [en_adj]
    tags = _tense_tags(tense, neg, question)
    if rng.random() < 0.3:
        p = rng.choice(_PLACES_CITY)
        fr += _place_tokens(p)
        en += p[3].split()
    time_n = (0, 0)
    if rng.random() < 0.3:
        time_n = _add_time(rng, tense, fr, en, tags, habitual=not progressive)
    pre_fr, _ = _question_prefix(mode, None)
    return _Clause(pre_fr + fr, en, tags, subj=subj, time_n=time_n)


_VERB_AVOIR = next(v for v in _VERBS if v.inf == "avoir")

# clause type -> (weight, allowed modes)
_CLAUSE_TYPES = {
    "dobj": (0.36, ("decl", "est", "inv", "wh", "what", "whoobj", "whosubj")),
    "iobj": (0.07, ("decl", "est", "inv", "wh", "whoobj", "whosubj")),
    "ditr": (0.08, ("decl", "est", "inv", "wh", "what", "whosubj")),
    "intr": (0.13, ("decl", "est", "inv", "wh", "whosubj")),
    "modal": (0.06, ("decl", "est", "inv", "wh", "what", "whosubj")),
    "motion": (0.06, ("decl", "est", "inv", "wh", "whosubj")),
    "cop_adj": (0.12, ("decl", "est", "inv", "wh", "whosubj")),
    "cop_place": (0.05, ("decl", "est", "inv", "whereis", "whosubj")),
    "age": (0.03, ("decl", "est", "inv")),
    "weather": (0.04, ("decl", "est", "inv")),
}
_Q_MODES = ("est", "inv", "wh", "what", "whoobj", "whosubj", "whereis")
_Q_MODE_WEIGHTS = (0.36, 0.2, 0.14, 0.1, 0.05, 0.07, 0.08)


def _sample_clause(
    rng: random.Random, mode: str = "decl", *, tense: Optional[str] = None, neg_ok: bool = True
) -> _Clause:
    """One clause in the given mode (decl or a question mode)."""
    types = [t for t, (w, modes) in _CLAUSE_TYPES.items() if mode in modes]
    ctype = _weighted(rng, types, [_CLAUSE_TYPES[t][0] for t in types])
    wh = rng.choice(("où", "quand", "pourquoi")) if mode == "wh" else None
    if ctype == "cop_adj" and mode == "wh":
        wh = "pourquoi"  # « pourquoi est-ce que tu es triste »
    neg = neg_ok and mode == "decl" and rng.random() < 0.24
    if tense is None:
        tense = _weighted(rng, ("pres", "past", "fut"), (0.45, 0.33, 0.22))
    if ctype in ("motion", "cop_adj", "cop_place", "age") and tense == "past":
        tense = rng.choice(("pres", "fut"))
    if ctype in ("cop_adj", "cop_place"):
        return _clause_copula(rng, mode, tense=tense, neg=neg, wh=wh, what="adj" if ctype == "cop_adj" else "place")
    if ctype == "age":
        return _clause_age(rng, mode, tense=tense, neg=neg)
    if ctype == "weather":
        return _clause_weather(rng, mode, tense=tense, neg=neg)
    if ctype == "modal":
        inner = [v for v in _MODAL_INNER if not (mode == "what" and not (v.kind == "dobj" and _what_ok(v)))]
        if mode == "whosubj":
            inner = [v for v in inner if v.kind in ("dobj", "intr", "go", "stay")]
        verb = rng.choice(inner)
        return _clause_verbal(rng, verb, mode, tense=tense, neg=neg, wh=wh, modal=True)
    if ctype == "motion":
        verb = rng.choice(_VERBS_BY_KIND["go"] * 2 + _VERBS_BY_KIND["leave"] + _VERBS_BY_KIND["stay"])
        return _clause_verbal(rng, verb, mode, tense=tense, neg=neg, wh=wh)
    pool = _VERBS_BY_KIND[ctype]
    if mode == "whoobj":
        pool = tuple(v for v in pool if "p" in v.obj)
    elif mode == "what":
        pool = tuple(v for v in pool if _what_ok(v))
    verb = rng.choice(pool)
    return _clause_verbal(rng, verb, mode, tense=tense, neg=neg, wh=wh)


def _anaphoric_clause(rng: random.Random, ref: Tuple[_Noun, bool], prev_subj: Optional[_Subj]) -> Optional[_Clause]:
    """A declarative clause whose direct object is a clitic referring to ``ref``."""
    noun, _ = ref
    verbs = [v for v in _VERBS_BY_KIND["dobj"] if v.obj & noun.cats]
    if not verbs:
        return None
    verb = rng.choice(verbs)
    subj = None
    if prev_subj is not None and prev_subj.pron and rng.random() < 0.6 and "p" in verb.subj:
        subj = _Subj(list(prev_subj.fr), list(prev_subj.en), prev_subj.person, prev_subj.g,
                     prev_subj.plural, prev_subj.pron, set(), prev_subj.cats)
    tense = _weighted(rng, ("pres", "past", "fut"), (0.45, 0.3, 0.25))
    neg = rng.random() < 0.25
    return _clause_verbal(rng, verb, "decl", tense=tense, neg=neg, subj=subj, forced_ref=ref)


def _sample_sentence(rng: random.Random, n_clauses: int) -> Tuple[List[str], List[str], Set[str]]:
    """French tokens (elided), English tokens, phenomenon tags."""
    if n_clauses == 1:
        if rng.random() < 0.3:
            mode = _weighted(rng, _Q_MODES, _Q_MODE_WEIGHTS)
        else:
            mode = "decl"
        cl = _sample_clause(rng, mode)
        fr, en = _maybe_front_time(rng, cl) if mode == "decl" else (cl.fr, cl.en)
        return _elide(fr), _en_article_fix(en), set(cl.tags)
    clauses: List[_Clause] = []
    conjs: List[Tuple[Tuple[str, ...], Tuple[str, ...]]] = []
    if rng.random() < 0.12 and n_clauses == 2:
        # conditional: « si » + present, main clause present or future
        cond = _sample_clause(rng, "decl", tense="pres")
        main = _sample_clause(rng, "decl", tense=rng.choice(("pres", "fut", "fut")))
        tags = cond.tags | main.tags | {"conjunction"}
        if rng.random() < 0.5:
            fr = ["si"] + cond.fr + main.fr
            en = ["if"] + cond.en + main.en
        else:
            fr = main.fr + ["si"] + cond.fr
            en = main.en + ["if"] + cond.en
        return _elide(fr), _en_article_fix(en), tags
    first = _sample_clause(rng, "decl")
    clauses.append(first)
    while len(clauses) < n_clauses:
        prev = clauses[-1]
        used = {c[0] for c in conjs}
        options = [c for c in _CONJUNCTIONS if c[0] not in used]  # never « mais ... mais »
        conj = _weighted(rng, options, [c[2] for c in options])
        nxt = None
        if prev.ref is not None and conj[0][0] in ("et", "mais", "donc") and rng.random() < 0.45:
            nxt = _anaphoric_clause(rng, prev.ref, prev.subj)
        if nxt is None:
            nxt = _sample_clause(rng, "decl")
        clauses.append(nxt)
        conjs.append((conj[0], conj[1]))
    fr, en = _maybe_front_time(rng, clauses[0])
    tags = set(clauses[0].tags) | {"conjunction"}
    for (c_fr, c_en), cl in zip(conjs, clauses[1:]):
        fr += list(c_fr) + cl.fr
        en += list(c_en) + cl.en
        tags |= cl.tags
    return _elide(fr), _en_article_fix(en), tags


def _maybe_front_time(rng: random.Random, cl: _Clause) -> Tuple[List[str], List[str]]:
    """Copies of the clause tokens, with a final time adjunct moved to the front 30% of the time.

    « demain je verrai le chien » -> "tomorrow i will see the dog".
    """
    nf, ne = cl.time_n
    if nf and ne and rng.random() < 0.3:
        return cl.fr[-nf:] + cl.fr[:-nf], cl.en[-ne:] + cl.en[:-ne]
    return list(cl.fr), list(cl.en)


# =========================================================================== public API


def generate_pairs(n: int, seed: int = 0, min_words: int = 3, max_words: int = 20) -> List[SentencePair]:
    """Generate ``n`` unique French/English sentence pairs.

    Args:
        n: number of pairs (>= 0).
        seed: seed of the private ``random.Random``; the same arguments always
            give the same list.
        min_words: minimum French length in whitespace tokens (>= 1).
        max_words: maximum French length in whitespace tokens (>= min_words).

    Returns:
        A list of ``n`` :class:`SentencePair`, with pairwise distinct French
        sentences, in generation order.

    Raises:
        TypeError: if an argument is not an ``int``.
        ValueError: if ``n < 0``, ``min_words < 1``, ``min_words > max_words``,
            or if ``n`` unique pairs within the length bounds cannot be produced
            within ``50 * n + 1000`` sampling attempts.
    """
    for name, val in (("n", n), ("seed", seed), ("min_words", min_words), ("max_words", max_words)):
        if isinstance(val, bool) or not isinstance(val, int):
            raise TypeError(f"generate_pairs: {name} must be an int, got {val!r}")
    if n < 0:
        raise ValueError(f"generate_pairs: n must be >= 0, got {n}")
    if min_words < 1:
        raise ValueError(f"generate_pairs: min_words must be >= 1, got {min_words}")
    if min_words > max_words:
        raise ValueError(f"generate_pairs: min_words ({min_words}) > max_words ({max_words})")
    rng = random.Random(seed)
    # Clause-count distribution adapted to the requested length range.
    if max_words < 8:
        counts, weights = (1,), (1.0,)
    elif min_words >= 13:
        counts, weights = (2, 3), (0.55, 0.45)
    elif min_words >= 9:
        counts, weights = (1, 2, 3), (0.25, 0.6, 0.15)
    else:
        counts, weights = (1, 2, 3), (0.74, 0.23, 0.03)
    out: List[SentencePair] = []
    seen: Set[str] = set()
    max_attempts = 50 * n + 1000
    attempts = 0
    while len(out) < n:
        if attempts >= max_attempts:
            raise ValueError(
                f"generate_pairs: could only produce {len(out)} of {n} unique pairs with "
                f"{min_words}..{max_words} words in {max_attempts} attempts"
            )
        attempts += 1
        fr_toks, en_toks, tags = _sample_sentence(rng, _weighted(rng, counts, weights))
        if not (min_words <= len(fr_toks) <= max_words) or not en_toks:
            continue
        fr = " ".join(fr_toks)
        if fr in seen:
            continue
        seen.add(fr)
        out.append(SentencePair(fr=fr, en=" ".join(en_toks), phenomena=tuple(p for p in PHENOMENA if p in tags)))
    return out


def split_pairs(
    pairs: Sequence[SentencePair], dev_size: int, test_size: int, seed: int = 0
) -> Dict[str, List[SentencePair]]:
    """Shuffle ``pairs`` deterministically and split them into train/dev/test.

    The dev split takes the first ``dev_size`` shuffled pairs; the test split
    takes the next ``test_size`` pairs that share neither their French nor their
    English sentence with a dev pair (conflicting pairs are kept back); train
    gets every remaining pair that shares neither side with dev or test, the
    others are dropped.  Hence no French sentence and no English sentence occurs
    in two splits, dev and test have exactly the requested sizes, and train may
    be smaller than ``len(pairs) - dev_size - test_size``.  The input is not
    modified.

    Args:
        pairs: sentence pairs (e.g. from :func:`generate_pairs`).
        dev_size: number of dev pairs (>= 0).
        test_size: number of test pairs (>= 0).
        seed: seed of the private ``random.Random`` used for shuffling.

    Returns:
        ``{"train": [...], "dev": [...], "test": [...]}``.

    Raises:
        TypeError: if a size or the seed is not an ``int``.
        ValueError: if a size is negative, if ``dev_size + test_size >
            len(pairs)``, or if fewer than ``test_size`` pairs are disjoint from
            the dev split (only possible with many duplicated sentences).
    """
    for name, val in (("dev_size", dev_size), ("test_size", test_size), ("seed", seed)):
        if isinstance(val, bool) or not isinstance(val, int):
            raise TypeError(f"split_pairs: {name} must be an int, got {val!r}")
    if dev_size < 0 or test_size < 0:
        raise ValueError(f"split_pairs: sizes must be >= 0, got dev_size={dev_size} test_size={test_size}")
    if dev_size + test_size > len(pairs):
        raise ValueError(
            f"split_pairs: dev_size + test_size = {dev_size + test_size} exceeds the {len(pairs)} pairs"
        )
    order = list(pairs)
    random.Random(seed).shuffle(order)
    dev = order[:dev_size]
    dev_fr = {p.fr for p in dev}
    dev_en = {p.en for p in dev}
    test: List[SentencePair] = []
    rest: List[SentencePair] = []
    for p in order[dev_size:]:
        if len(test) < test_size and p.fr not in dev_fr and p.en not in dev_en:
            test.append(p)
        else:
            rest.append(p)
    if len(test) < test_size:
        raise ValueError(
            f"split_pairs: only {len(test)} pairs are disjoint from the dev split, {test_size} requested"
        )
    held_fr = dev_fr | {p.fr for p in test}
    held_en = dev_en | {p.en for p in test}
    train = [p for p in rest if p.fr not in held_fr and p.en not in held_en]
    return {"train": train, "dev": dev, "test": test}


# --------------------------------------------------------------------------- vocabulary


def vocabulary() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """Word types (whitespace tokens) the grammar can emit, per language.

    Elided forms are separate types (« l'homme », « j'ai », « qu'il »), as are
    inverted verbs (« vois-tu », « mange-t-il ») and hyphenated words
    (« est-ce », « dix-sept »).  The sets are computed from the lexicon with the
    same rules the generator applies and contain every token
    :func:`generate_pairs` can produce.  They are a slight over-approximation:
    a combination licensed by the rules may be very rare or never drawn (about
    15% of the French types, mostly clitic + inverted-verb tokens such as
    « m'écoutes-tu », did not occur in 100,000 generated sentences; every English
    type did).

    Args:
        None.

    Returns:
        ``(french_types, english_types)``, two frozensets of strings
        (computed once, at import).

    Raises:
        Nothing.
    """
    return _VOCAB


def _compute_vocabulary() -> Tuple[FrozenSet[str], FrozenSet[str], FrozenSet[str], FrozenSet[str]]:
    """(french types, english types, french verb forms, english verb forms)."""
    fr: Set[str] = set()
    en: Set[str] = set()
    fr_vf: Set[str] = set()
    en_vf: Set[str] = {"am", "is", "are", "was", "be", "will", "do", "does", "did"}

    def add_fr(tokens: Sequence[str]) -> None:
        fr.update(_elide(list(tokens)))

    # --- function words and fixed expressions
    fr.update(
        "je tu il elle nous vous ils elles qui ne pas le la les lui leur me te un une des de du "
        "au aux à dans sur sous devant derrière près en est-ce que où quand pourquoi et mais "
        "parce donc si y a ans an heure heures".split()
    )
    en.update(
        "i you he she we they who not do does did will be am is are was it him her them me us "
        "the a an any my your his our their this these and but because so if to at for where when "
        "why what years year old o'clock ago in on every next last".split()
    )
    # --- nouns and noun phrases
    for noun in _NOUNS:
        numbers = [False] if noun.mass else [False, True]
        for plural in numbers:
            word = noun.pl if plural else noun.sg
            en.update(noun.en_pl if plural else noun.en_sg)
            fr.add(word)
            dets = ["def", "indef", "poss", "dem"] + (["part"] if noun.mass else [])
            if noun.mass and plural:
                continue
            if noun.mass:
                dets = ["def", "part", "poss", "dem"]
            pre_opts: List[Optional[_Adj]] = [None] + [
                a for a in _PRE_ADJS if a.attr & noun.cats and (a.forms[0], noun.sg) not in _BAD_PRE_PAIRS
            ]
            for det in dets:
                for neg in (False, True):
                    if neg and det not in ("indef", "part"):
                        continue
                    for pre in pre_opts:
                        for poss in range(6):
                            for pe in range(2):
                                np = _build_np(noun, plural, det, poss=poss, poss_en=pe, pre=pre, neg=neg)
                                add_fr(np.fr)
                                add_fr(_with_a(np.fr))
                                add_fr(["que"] + np.fr)
                                en.update(np.en)
                                if det not in ("poss",):
                                    break
                            if det not in ("poss",):
                                break
    for adj in _ADJS:
        fr.update(adj.forms)
        if adj.ms_vowel:
            fr.add(adj.ms_vowel)
        en.add(adj.en)
        en.update(x for x in (adj.en_pred_person, adj.en_attr_person, adj.en_masc_person) if x)
    for fr_num, en_num, _ in _NUMBERS:
        fr.add(fr_num)
        en.update(en_num.split())
    for fr_name, en_name, _ in _NAMES:
        fr.add(fr_name)
        en.add(en_name)
    for _, _, _, _, _, en_opts in [(0, 0, 0, 0, 0, p[3]) for p in _POSSESSIVES.values()]:
        en.update(en_opts)
    for ms, fs, pl, _ in _POSSESSIVES.values():
        fr.update((ms, fs, pl))
    fr.update(("ce", "cet", "cette", "ces"))
    # --- places
    for entry in _PLACE_TABLE:
        add_fr(_place_tokens(entry))
        en.update(entry[3].split())
        if entry[4]:
            en.update(entry[4].split())
    # --- times
    fr.update("aujourd'hui demain matin soir chaque jour tous jours semaine semaines week-end hier dernière "
              "dernier mois prochaine prochain bientôt ce dans".split())
    fr.update(("l'après-midi", "l'année"))
    fr.update(d for d, _ in _DAYS)
    en.update("today morning evening afternoon day week weekends yesterday night month year "
              "tomorrow soon tonight days weeks years".split())
    for _, d in _DAYS:
        en.update((d, d + "s"))
    # --- adverbs
    fr.update(_MANNER_EN)
    for toks in _MANNER_EN.values():
        en.update(toks)
    for f_, e_, _ in _FREQ_ADVS:
        fr.add(f_)
        en.add(e_)
    # --- questions and conjunctions
    fr.update(("qu'est-ce", "qu'il", "qu'elle", "qu'ils", "qu'elles", "qu'un", "qu'une", "s'il", "s'ils"))
    for c_fr, c_en, _ in _CONJUNCTIONS:
        fr.update(c_fr)
        en.update(c_en)
    # --- weather
    for pres, fut, pp, ing, past, base in _WEATHER_VERBS:
        forms = (pres, fut + "a", pp, _invert(pres, "il"), _invert(fut + "a", "il"))
        fr.update(forms)
        fr_vf.update(forms)
        en.update((ing, past, base))
        en_vf.update((ing, past, base))
    forms = ("fait", "fera", _invert("fait", "il"), _invert("fera", "il"), "a-t-il")
    fr.update(forms)
    fr_vf.update(forms)
    for adj, en_subj, en_adj in _WEATHER_ADJ:
        fr.add(adj)
        en.update(en_subj)
        en.add(en_adj)

    # --- verbs
    def add_finite(form: str, person: int, *, dclitic: bool, pclitic: bool, invertible: bool = True) -> None:
        fr.add(form)
        forms = [form]
        if invertible:
            for pron, p, _, _ in _SUBJ_PRONOUNS:
                if p == person and pron in _INVERTIBLE:
                    forms.append(_invert(form, pron))
        fr_vf.update(forms)
        if _vowel_start(form):
            if person == 0:
                fr.add("j'" + form)
            fr.add("n'" + form)
        for f_ in forms:
            fr.add(f_)
            if _vowel_start(f_):
                if dclitic:
                    fr.add("l'" + f_)
                if pclitic:
                    if person not in (0, 3):
                        fr.add("m'" + f_)
                    if person not in (1, 4):
                        fr.add("t'" + f_)

    any_d = any(v.kind in ("dobj", "ditr") for v in _VERBS)
    for verb in _VERBS:
        dcl = verb.kind in ("dobj", "ditr")
        pcl = (verb.kind == "dobj" and "p" in verb.obj) or verb.kind in ("iobj", "ditr")
        en_forms = verb.en[:2] if verb.kind in ("go", "leave", "stay") else verb.en  # no past for motion verbs
        en.update(en_forms)
        en_vf.update(en_forms)
        en.update(verb.prt)
        for person in range(6):
            add_finite(verb.pres[person], person, dclitic=dcl, pclitic=pcl)
            add_finite(verb.fut + _FUT_END[person], person, dclitic=dcl, pclitic=pcl)
            if verb.kind not in ("go", "leave", "stay"):
                add_finite(_AVOIR_PRES[person], person, dclitic=any_d, pclitic=True)
        if verb.kind not in ("go", "leave", "stay"):
            fr.add(verb.pp)
            fr_vf.add(verb.pp)
            if dcl:
                for g in "mf":
                    for pl in (False, True):
                        fr.add(_agree_pp(verb.pp, g, pl))
                        fr_vf.add(_agree_pp(verb.pp, g, pl))
        if verb in _MODAL_INNER:
            fr.add(verb.inf)
            fr_vf.add(verb.inf)
            if _vowel_start(verb.inf):
                if dcl:
                    fr.add("l'" + verb.inf)
                if pcl:
                    fr.update(("m'" + verb.inf, "t'" + verb.inf))
    # vouloir, être, avoir (age)
    vforms, vfut, vpp, ven = _VOULOIR
    for person in range(6):
        add_finite(vforms[person], person, dclitic=False, pclitic=False)
        add_finite(vfut + _FUT_END[person], person, dclitic=False, pclitic=False)
        add_finite(_ETRE_PRES[person], person, dclitic=False, pclitic=False)
        add_finite(_ETRE_FUT + _FUT_END[person], person, dclitic=False, pclitic=False)
    fr.add(vpp)
    fr_vf.add(vpp)
    en.update(ven)
    en_vf.update(ven)
    en.update(en_vf)
    return frozenset(fr), frozenset(en), frozenset(fr_vf), frozenset(en_vf)


_VOCAB_FR, _VOCAB_EN, _FR_VERB_FORMS, _EN_VERB_FORMS = _compute_vocabulary()
_VOCAB = (_VOCAB_FR, _VOCAB_EN)
# _FR_VERB_FORMS: every French verb form (finite, inverted, participle, infinitive);
# _EN_VERB_FORMS: every English verb form (incl. auxiliaries).  Used by the tests.


# --------------------------------------------------------------------------- CLI


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Print generated pairs as ``fr<TAB>en<TAB>phenomena`` lines.

    Args:
        argv: command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        Process exit status (0).

    Raises:
        SystemExit: on invalid command-line arguments.
    """
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10, help="number of pairs (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    ap.add_argument("--min-words", type=int, default=3)
    ap.add_argument("--max-words", type=int, default=20)
    args = ap.parse_args(argv)
    try:
        pairs = generate_pairs(args.n, seed=args.seed, min_words=args.min_words, max_words=args.max_words)
    except ValueError as exc:
        ap.error(str(exc))
    for p in pairs:
        print(f"{p.fr}\t{p.en}\t{','.join(p.phenomena)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
