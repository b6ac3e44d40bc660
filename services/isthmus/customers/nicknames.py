"""Given names that stand for the same person ("Bill" ~ "William"), as canonical-name groups.

Each line is one group; the first name is the canonical form used as the match key. Names appearing in
two groups keep the first. Deployments extend the table through ``MatchConfig.extra_nicknames``.
"""

from __future__ import annotations

_GROUPS = """
william bill billy will willy liam wilhelm willi
robert bob bobby rob robbie bert
richard rick ricky dick rich richie
james jim jimmy jamie
john jack johnny jon johann hans
jonathan jon jonny
joseph joe joey josef sepp
thomas tom tommy
charles charlie chuck karl carl
edward ed eddie ted teddy
michael mike mikey micha michi
christopher chris kit christoph
nicholas nick nicky nico niklas klaus
anthony tony anton
daniel dan danny
david dave davy
matthew matt matthias
andrew andy drew andreas andi
alexander alex sasha sascha xander
maximilian max maxi
benjamin ben benny
samuel sam sammy
stephen steve steven stefan steffen
peter pete
patrick pat paddy
frederick fred freddy fritz friedrich
henry harry hank heinrich heinz
lawrence larry lorenz
gregory greg
timothy tim timmy
kenneth ken kenny
ronald ron ronnie
donald don donny
raymond ray
gerald gerry jerry gerhard
jeffrey jeff geoffrey
joshua josh
nathaniel nate nathan
zachary zach zack
elizabeth liz lizzie beth betty eliza elisabeth lisa liesel elsa
margaret maggie meg peggy greta margarete grete
katherine kate katie kathy cathy catherine kathrin katharina katrin kathi
jennifer jen jenny
patricia pat patty trish
susan sue susie suzanne susanne
deborah debbie deb
rebecca becky
jessica jess jessie
victoria vicky tori
alexandra alex sandra sandy
christine chris chrissy christina kristina tina
barbara barb babs
dorothy dot dottie dora
theresa terry tess tessa teresa resi
abigail abby
samantha sam sammy
stephanie steph steffi
kimberly kim
pamela pam
judith judy
cynthia cindy
josephine jo josie
johanna hanna hannah jo
anna anne ann annie anja
maria mary marie mia mitzi
eleanor ellie nora eleonore
frances fran frankie franziska
francis frank franz
gabriel gabe
gabriele gabi gaby gabriela
sebastian basti
wolfgang wolf
juergen jurgen
""".strip()


def _build() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in _GROUPS.splitlines():
        names = line.split()
        for name in names:
            table.setdefault(name, names[0])
    return table


NICKNAMES: dict[str, str] = _build()


def _build_groups() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for line in _GROUPS.splitlines():
        names = line.split()
        for name in names:
            groups.setdefault(name, set()).add(names[0])
    return {name: frozenset(g) for name, g in groups.items()}


# A name may stand for several ("chris": christopher, christine): two names agree when any group is shared.
GROUPS: dict[str, frozenset[str]] = _build_groups()


def groups() -> list[list[str]]:
    return [line.split() for line in _GROUPS.splitlines()]
