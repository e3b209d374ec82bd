"""Sentence pieces for the demo responses: what Northbrook residents say about the Gasworks homes and Mill Lane route.

Each concern has sentences for people who support and people who oppose; the seed joins a few of them, with an
opener, into answers. Written for the demo; none of it is anyone's real response.
"""

from __future__ import annotations

WARDS = ["Abbey Fields", "Canalside", "Mill End", "Northbrook Central", "Riverside", "St Anne's"]

# concern -> {"oppose": [...], "support": [...]} for the homes on the Gasworks site
HOMES: dict[str, dict[str, list[str]]] = {
    "traffic": {
        "oppose": [
            "Mill Lane is already gridlocked at school run time and 300 more homes will make it far worse.",
            "The junction of Mill Lane and Station Road cannot take any more cars; it backs up past the bridge every "
            "morning.",
            "Every new household will have at least one car and there is only one road in and out of the site.",
            "Traffic on Gasworks Road is bad enough with the retail park, this will push it over the edge.",
            "Lorries and delivery vans will be using residential streets as a rat run to reach the new estate.",
            "Nobody has shown me a traffic survey that was done outside the school holidays.",
        ],
        "support": [
            "The site is close enough to the station that many new residents will not need a car.",
            "If the developer pays for the junction improvements, traffic could end up better than it is now.",
            "Building near the town centre means fewer car journeys than another estate on the edge of town.",
            "Traffic fears are overstated; the old gasworks had lorries in and out all day.",
        ],
    },
    "schools": {
        "oppose": [
            "St Anne's Primary is already full and my youngest could not get a place there.",
            "Where will the children go to school? Northbrook Academy has had bulge classes for three years.",
            "There is no new school in the plan, only a contribution that will not pay for a single classroom.",
            "Families moving in will push local children out of their catchment schools.",
            "Secondary places are the real problem: children from Mill End already travel to the other side of "
            "the borough.",
        ],
        "support": [
            "Falling rolls at some local primaries mean a few more families would actually help keep them open.",
            "The education contribution should go to expanding Abbey Fields Primary, which has the room.",
            "Young families need homes here or our schools will shrink anyway.",
        ],
    },
    "flooding": {
        "oppose": [
            "The Gasworks site floods every winter and the river has come over the towpath twice in five years.",
            "Covering the site in concrete will send even more surface water into Canalside gardens.",
            "My house insurance already went up after the 2024 floods; this will make it worse for everyone "
            "downstream.",
            "The drains on Mill Lane cannot cope with a heavy shower, never mind hundreds of new homes.",
            "I do not trust the flood risk assessment, it was written by the developer's own consultants.",
        ],
        "support": [
            "The plan includes a proper drainage pond and rain gardens, which is more than the site has now.",
            "Raising the ground level and adding flood storage could actually reduce flooding for Canalside.",
            "Sustainable drainage on a brownfield site is far better than building on the flood plain at Abbey Fields.",
        ],
    },
    "affordable": {
        "oppose": [
            "Only 20% affordable is not enough; these will be investor flats that local people cannot buy.",
            "The so-called affordable homes are 80% of market rent, which is not affordable on a Northbrook wage.",
            "Developers always cut the affordable homes later by saying the scheme is not viable.",
            "We need council homes for local families, not luxury apartments with river views.",
        ],
        "support": [
            "My children cannot afford to live in the town they grew up in; we need these homes.",
            "We desperately need more affordable homes and this is the right place for them.",
            "I have been on the housing register for four years and this could finally give my family a home.",
            "Young people are leaving Northbrook because there is nothing they can afford to rent or buy.",
            "Social rent homes should be the priority and I am glad to see some in the plan.",
            "Key workers at the hospital cannot find anywhere to live nearby.",
        ],
    },
    "green_space": {
        "oppose": [
            "The old gasworks has become a haven for wildlife and we will lose the only green space on this side of "
            "the river.",
            "Children in Canalside have nowhere to play and this takes away the last open land.",
            "Birds nest along the old railway embankment and it should be protected, not built on.",
            "The pocket park in the plans is tiny compared with the land being lost.",
        ],
        "support": [
            "The new riverside park would be a big improvement on a fenced-off contaminated site.",
            "Cleaning up the contamination and opening the riverbank to the public is long overdue.",
            "I like that the plan adds trees and a play area, as long as they are actually delivered.",
            "Opening up the riverside walk would give everyone better access to green space.",
        ],
    },
    "construction": {
        "oppose": [
            "We will have years of noise, dust and lorries while it is built.",
            "Decontaminating the site will stir up who knows what and my children breathe that air.",
            "Construction traffic will go right past the primary school gates.",
            "Working hours should be limited, the last development nearby had piling at seven in the morning.",
        ],
        "support": [
            "A few years of building work is a price worth paying for new homes.",
            "If construction traffic is kept off Mill Lane at school times I have no objection.",
        ],
    },
    "gp": {
        "oppose": [
            "You cannot get a GP appointment in Northbrook for three weeks as it is.",
            "Mill Lane Surgery has closed its list to new patients, so where will the new residents go?",
            "Dentists and GPs are already overwhelmed and there is nothing in the plan for health services.",
            "The health centre promised with the last development never appeared.",
        ],
        "support": [
            "The health contribution could pay for the extra consulting rooms the surgery has asked for.",
            "A new health hub on the ground floor would be a real benefit to the whole area.",
        ],
    },
    "heritage": {
        "oppose": [
            "The old gasholder frame is part of Northbrook's history and should be kept.",
            "Eight-storey blocks next to the Mill Lane conservation area will be completely out of character.",
            "The tall buildings will overshadow the listed cottages on Canal Row.",
            "These designs could be anywhere; they do nothing to reflect the town's industrial heritage.",
        ],
        "support": [
            "Keeping the gasholder frame as a feature of the new park is a lovely idea.",
            "Good design could make this a landmark for the town rather than the eyesore it is now.",
            "The brick warehouses should be converted and I am pleased the plan keeps them.",
        ],
    },
    "parking": {
        "oppose": [
            "Half a parking space per flat means the overflow will end up on our streets.",
            "Parking in Mill End is already impossible in the evenings.",
            "Residents will park on the pavements of Gasworks Road like they do near the station.",
        ],
        "support": [
            "Low car parking is right for a site this close to the station and the bus routes.",
            "A car club on site would stop people needing a second car.",
        ],
    },
}

# concern -> stance sentences for the Mill Lane cycle route
CYCLE: dict[str, dict[str, list[str]]] = {
    "cycle_safety": {
        "support": [
            "I would cycle to work if there was a safe, separate route; at the moment Mill Lane is terrifying.",
            "My children could cycle to school safely for the first time.",
            "A protected lane is the only thing that will get people out of cars for short trips.",
            "As someone who cycles daily, I have been knocked off on Mill Lane and this route would save lives.",
            "Painted lines are useless; a kerbed cycle track is exactly what we need.",
            "It should link up with the towpath so people can ride all the way to the station.",
        ],
        "oppose": [
            "The lane is too narrow for a cycle track and pedestrians will end up squeezed.",
            "Cyclists already ignore the rules on the towpath, this will just encourage them to speed.",
            "Crossing the cycle track to reach the bus stop will be dangerous for older people.",
            "Hardly anyone cycles on Mill Lane, so this is money spent for a tiny minority.",
        ],
    },
    "parking": {
        "oppose": [
            "Removing forty parking spaces on Mill Lane will kill the shops.",
            "I am disabled and need to park outside my house; this scheme takes that away.",
            "Where are residents of Mill Lane supposed to park once the bays are gone?",
            "Visitors and carers will have nowhere to stop.",
        ],
        "support": [
            "The parking spaces are mostly used by commuters, not residents, so losing some is fine.",
            "Keeping the disabled bays and loading bays while removing the rest seems a fair balance.",
        ],
    },
    "traffic": {
        "oppose": [
            "Narrowing the road will cause even worse congestion at rush hour.",
            "Buses will be stuck behind traffic once the road is narrowed.",
            "Traffic will just divert onto the residential streets of Mill End.",
        ],
        "support": [
            "Fewer cars on Mill Lane would make it a pleasant street again.",
            "Traffic calming is long overdue; drivers treat Mill Lane as a race track.",
            "Less traffic means cleaner air outside the primary school.",
        ],
    },
    "business": {
        "oppose": [
            "Our customers come by car and deliveries need to stop outside the shop.",
            "Local traders were not properly consulted before this was drawn up.",
        ],
        "support": [
            "People on bikes and on foot spend more in local shops than people driving through.",
            "A nicer street with cycle parking would bring more trade to the Mill Lane shops.",
        ],
    },
}

OPENERS = [
    "",
    "",
    "",
    "I have lived in Mill End for over twenty years.",
    "As a parent of two young children,",
    "Speaking as a pensioner who does not drive,",
    "I live on Gasworks Road, right next to the site.",
    "We moved to Canalside three years ago.",
    "As a local business owner,",
    "I grew up in Northbrook and now rent here.",
    "My family has been in Riverside for three generations.",
    "As someone who works at Northbrook General,",
    "I walk my dog along the towpath every day.",
]

NEUTRAL = [
    "I can see both sides. We need homes but the roads, schools and surgery need to keep up.",
    "I am not against homes on the site but the current plan is too big.",
    "It depends on whether the promises about the park and the drainage are kept.",
    "Fewer, lower buildings with more family houses would win more people over.",
    "I would support it if the affordable homes were guaranteed and the traffic was sorted first.",
    "Some good ideas here but the detail is missing on health and school places.",
]

NON_SUBSTANTIVE = ["No comment", "n/a", "N/A", "Nothing to add.", "no", "Agree", "see above", "-", "Don't know"]

CAMPAIGN_HOMES = (
    "I object to the Gasworks development. Mill Lane cannot cope with more traffic, St Anne's Primary and the Mill "
    "Lane Surgery are already full, and the site floods. Save Mill Lane: no more homes without the roads, schools "
    "and doctors to go with them."
)
CAMPAIGN_CYCLE = (
    "I support the Mill Lane cycle route. Northbrook needs safe, protected space for cycling so that children can "
    "ride to school and people can leave the car at home for short journeys. Please build it in full, with no gaps "
    "at the junctions."
)

ANYTHING_ELSE = [
    "Please hold a drop-in event in the evening so working people can come.",
    "The consultation documents were hard to find on the website.",
    "Whatever happens, the towpath must stay open during the works.",
    "I would like to see more trees planted along Mill Lane.",
    "Can the council publish the traffic modelling in full?",
    "Please make sure the new homes are built to high energy standards with heat pumps and solar panels.",
    "The bus service to Canalside needs improving whatever is decided.",
    "Street lighting on the towpath would make people feel safer walking home.",
    "Thank you for asking. I hope the council actually listens this time.",
    "It would help to see pictures of what the buildings will look like from Canal Row.",
    "If you want to discuss this, email me at {email} or call {phone}.",
    "More benches and public toilets in the new park please.",
]

BUSINESSES = ["Mill Lane Bakery", "Canalside Cycles", "Northbrook Hardware", "The Gasworks Café", "Station Road Dental"]
GROUPS = [
    "Save Mill Lane",
    "Northbrook Cycle Campaign",
    "Canalside Residents' Association",
    "Friends of the Towpath",
    "St Anne's Parents' Forum",
]
ORGANISATIONS = [
    "Northbrook Civic Society",
    "Environment Agency (Thames area)",
    "Northbrook and District Bus Users",
    "Mill Lane Surgery Patient Group",
]

# The second, email-verified consultation: a heat network for the town centre.
HEAT_WHY = {
    "support": [
        "Gas boilers have to go eventually and a shared network is cheaper than everyone buying a heat pump.",
        "I like that the heat comes from the sewage works and the river instead of burning gas.",
        "Our flats cannot fit heat pumps, so a heat network is the only realistic low-carbon option.",
        "Stable prices would be a relief after the last few winters.",
        "Digging up the roads once for a network is better than decades of rising gas bills.",
    ],
    "oppose": [
        "Heat networks are a monopoly: once you are connected you cannot switch supplier if prices go up.",
        "I have read about heat networks elsewhere with huge bills and constant breakdowns.",
        "The roadworks to lay the pipes would go on for years.",
        "I have just installed a new boiler and do not want to be forced to connect.",
        "Who regulates the prices? I want a guarantee before I sign anything.",
    ],
    "neutral": [
        "I need to know what it would cost me before I can say.",
        "It sounds promising but I would want to see it working somewhere similar first.",
    ],
}
HEAT_MORE_LIKELY = [
    "A price cap linked to what gas would cost.",
    "Free connection and a new radiator system paid for by the scheme.",
    "Being able to leave the network if the service is poor.",
    "Proof that it has worked in another town of our size.",
    "Knowing that it will be run by the council rather than a private company.",
    "Nothing, I am happy with my heat pump.",
]
