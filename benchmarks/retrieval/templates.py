"""Hand-written templates of the retrieval evaluation set (read by `generate.py`).

A theme is a topic people come back to: two sessions (`a` earlier, `b` later), three facts each.
A fact is one user message, the assistant's reply and the questions someone would later ask
about it. `{slots}` take per-user values (`SLOTS`), so each user has their own names, codes and
numbers, and the other users' sessions on the same theme are decoys that must never be returned.

Question kinds (what the set measures):
- `paraphrase`: asked in other words than the message (most have Jaccard overlap < 0.2).
- `keyword`: an exact token that carries the answer: a code, a name, a number.
- `assistant`: the answer is in the assistant's reply (the gold is the reply, not the question).
Temporal questions (`temporal`) are made by the generator from each theme's `topic`: both
sessions are on the topic, only the time named in the question tells them apart.

Each question names its gold: `"u"` the user message, `"a"` the reply, `"ua"` both.
Dev themes (tuned on) and test themes (reported) never share a template.
"""

from __future__ import annotations

from typing import Any

Fact = dict[str, Any]

SLOTS: dict[str, list[str]] = {
    "city": ["Lisbon", "Porto", "Seville", "Kraków", "Ljubljana", "Bologna"],
    "airline": ["TAP", "Vueling", "LOT", "Ryanair", "Lufthansa", "KLM"],
    "pnr": ["QX7P2L", "ZK4M9D", "HT2B8W", "MN6R3C", "PL9V5E", "RA3J7K"],
    "hood": ["Alfama", "Ribeira", "Triana", "Kazimierz", "Trnovo", "Bolognina"],
    "budget": ["95", "120", "80", "140", "110", "75"],
    "claim": ["LIS-48213", "OPO-55120", "SVQ-30917", "KRK-71244", "LJU-66402", "BLQ-29581"],
    "code": ["ERR_CONN_4012", "E-5031", "DB-LOCK-778", "HTTP 429", "OOMKilled 137", "TLS-0x3A"],
    "code2": ["ERR_QUOTA_9120", "E-2277", "DB-TIMEOUT-315", "HTTP 503", "SIGSEGV 139", "CERT-0x1F"],
    "service": ["billing-api", "checkout", "ledger", "search-indexer", "notifier", "auth-proxy"],
    "colleague": ["Priya", "Tomasz", "Ingrid", "Mateo", "Aiko", "Olu"],
    "pace": ["5:40", "6:10", "5:15", "6:45", "5:55", "6:25"],
    "race": [
        "Berlin half marathon",
        "Valencia 10K",
        "Vienna night run",
        "Lyon 15K",
        "Dublin 10 miler",
        "Prague half",
    ],
    "physio": ["Dr. Okafor", "Dr. Lindqvist", "Dr. Haddad", "Dr. Moreau", "Dr. Brandt", "Dr. Sato"],
    "rent": ["1450", "1280", "1620", "990", "1730", "1175"],
    "landlord": [
        "Mrs. Petrova",
        "Mr. Duarte",
        "Mrs. Keller",
        "Mr. Ansari",
        "Mrs. Novak",
        "Mr. Ferreira",
    ],
    "street": [
        "Rua das Flores",
        "Calle Feria",
        "Ulica Długa",
        "Via Zamboni",
        "Wolfova ulica",
        "Rua Augusta",
    ],
    "invoice": [
        "INV-2026-0412",
        "INV-2026-0977",
        "INV-2026-1130",
        "INV-2026-0058",
        "INV-2026-0764",
        "INV-2026-1291",
    ],
    "client": [
        "Northwind",
        "Bluefin Labs",
        "Hollow Oak",
        "Kestrel & Co",
        "Marigold Studio",
        "Tidewater",
    ],
    "amount": ["3,200", "4,750", "2,180", "5,600", "1,940", "6,300"],
    "accountant": ["Helga", "Rafael", "Nadia", "Gustav", "Leila", "Bruno"],
    "dish": [
        "mushroom risotto",
        "lamb tagine",
        "miso salmon",
        "pumpkin gnocchi",
        "chicken biryani",
        "aubergine parmigiana",
    ],
    "guests": ["eight", "six", "ten", "five", "twelve", "seven"],
    "allergy": ["peanuts", "shellfish", "gluten", "sesame", "dairy", "tree nuts"],
    "car": ["Skoda Octavia", "Toyota Corolla", "VW Golf", "Renault Clio", "Ford Focus", "Kia Ceed"],
    "plate": ["KX-482-PT", "LB-19-77", "WZ 5521K", "AB-903-CD", "GR-7710", "MT 33-90"],
    "garage": [
        "Autofix Moreira",
        "Taller Ruiz",
        "Warsztat Nowak",
        "Officina Rossi",
        "Servis Kovač",
        "Garagem Lopes",
    ],
    "quote": ["640", "385", "910", "275", "1,150", "520"],
    "teacher": ["Lucía", "Carmen", "Javier", "Elena", "Diego", "Marta"],
    "level": ["B1", "A2", "B2", "A2", "B1", "B2"],
    "score": ["78", "64", "85", "71", "90", "68"],
}

THEMES: list[dict[str, Any]] = [
    # ---------------------------------------------------------------- dev themes
    {
        "name": "travel",
        "split": "dev",
        "topic": "my trip",
        "titles": ("Trip to {city}", "After the {city} trip"),
        "a": [
            {
                "u": "I'm planning a trip to {city} in May and I just booked the flight with "
                "{airline}, confirmation code {pnr}.",
                "a": "Nice choice for May. Keep the confirmation {pnr} handy; online check-in "
                "for {airline} usually opens 24 hours before departure.",
                "q": [
                    ("paraphrase", "Which carrier am I flying with on the spring holiday?", "u"),
                    ("keyword", "{pnr}", "ua"),
                ],
            },
            {
                "u": "Which neighbourhood should I stay in there? I like quiet streets and good "
                "coffee.",
                "a": "Look at {hood}: it is calm at night, easy to walk, and full of small cafés "
                "and bakeries.",
                "q": [
                    ("assistant", "What district did you recommend for lodging?", "a"),
                    ("keyword", "{hood}", "a"),
                ],
            },
            {
                "u": "My hotel budget is {budget} euros per night, breakfast included if possible.",
                "a": "With {budget} euros a night you can find a good guesthouse with breakfast; "
                "book early because May fills up.",
                "q": [
                    ("paraphrase", "How much was I willing to spend on a room each evening?", "u"),
                ],
            },
        ],
        "b": [
            {
                "u": "Back from {city}! The pastries were amazing, but {airline} lost my luggage "
                "on the way home.",
                "a": "Sorry about the bag. File a property irregularity report at the airport "
                "desk and keep the reference they give you.",
                "q": [
                    ("paraphrase", "Which airline misplaced my suitcase?", "u"),
                ],
            },
            {
                "u": "The claim reference they gave me is {claim}. How long can they take?",
                "a": "Under the Montreal Convention you should submit a written delayed-baggage "
                "claim within 21 days; keep receipts for anything you had to buy.",
                "q": [
                    ("keyword", "{claim}", "u"),
                    ("assistant", "What deadline applies to a complaint about a late bag?", "a"),
                ],
            },
            {
                "u": "I want to write a short journal about the holiday before I forget it.",
                "a": "Start with one vivid moment per day, like the tram ride up the hill, then "
                "add two photos and a line on what surprised you.",
                "q": [
                    ("assistant", "How did you suggest structuring my vacation diary?", "a"),
                ],
            },
        ],
    },
    {
        "name": "oncall",
        "split": "dev",
        "topic": "the deployment problems",
        "titles": ("{service} deploy failing", "{service} incident review"),
        "a": [
            {
                "u": "The {service} deploy keeps failing with {code} right after the pods start.",
                "a": "{code} at start-up usually means the service cannot reach its database: "
                "check the connection string secret and the network policy first.",
                "q": [
                    ("keyword", "{code}", "ua"),
                    (
                        "assistant",
                        "What did you say was the likely cause of the startup crash?",
                        "a",
                    ),
                ],
            },
            {
                "u": "{colleague} thinks it is the new connection pool settings we merged on "
                "Tuesday.",
                "a": "That fits: a pool larger than the database's max_connections fails exactly "
                "like this. Roll back the pool size and redeploy to confirm.",
                "q": [
                    ("keyword", "what {colleague} suspects", "u"),
                    ("assistant", "Which fix did you advise to confirm the theory?", "a"),
                ],
            },
            {
                "u": "Rolled back the pool size and it works now. I need a short note for the "
                "team channel.",
                "a": "Try: the outage came from an oversized connection pool; we reverted it, "
                "the service is healthy, and a limit check goes into CI this week.",
                "q": [
                    ("paraphrase", "Draft announcement to colleagues once things recovered", "a"),
                ],
            },
        ],
        "b": [
            {
                "u": "Now {service} in staging throws {code2} under load, different from last "
                "time.",
                "a": "{code2} under load points at a rate or resource limit rather than "
                "configuration. Compare the quota dashboard with the traffic spike.",
                "q": [
                    ("keyword", "{code2}", "ua"),
                ],
            },
            {
                "u": "We agreed the postmortem is due Friday and {colleague} owns the timeline.",
                "a": "Good split. Ask {colleague} to start from the alert timestamps and the "
                "deploy log so the timeline has no gaps.",
                "q": [
                    ("paraphrase", "Who is responsible for the incident chronology?", "u"),
                ],
            },
            {
                "u": "What should the action items in the incident review look like?",
                "a": "Each action item needs one owner, a due date and a measurable outcome, "
                "for example: alert on quota at 80 percent, owner on-call lead, due in two weeks.",
                "q": [
                    ("assistant", "What makes a good follow-up task according to you?", "a"),
                ],
            },
        ],
    },
    {
        "name": "running",
        "split": "dev",
        "topic": "my running",
        "titles": ("Training for the {race}", "Knee pain after running"),
        "a": [
            {
                "u": "I signed up for the {race} in October and want a twelve-week plan.",
                "a": "Twelve weeks works: three easy runs, one tempo session and one long run "
                "per week, adding about ten percent distance each week.",
                "q": [
                    ("keyword", "{race}", "u"),
                    ("assistant", "How many workouts per week did the schedule include?", "a"),
                ],
            },
            {
                "u": "My easy pace is around {pace} per kilometre, is that too fast?",
                "a": "At {pace} per kilometre you should still be able to talk in full "
                "sentences; if you can't, slow down.",
                "q": [
                    ("keyword", "{pace} per kilometre", "ua"),
                    ("paraphrase", "How quick are my relaxed jogs?", "u"),
                ],
            },
            {
                "u": "What should I eat before the long run on Sundays?",
                "a": "Have toast with honey or a banana with oats about two hours before, and "
                "drink half a litre of water.",
                "q": [
                    ("assistant", "Breakfast advice ahead of the weekend endurance session", "a"),
                ],
            },
        ],
        "b": [
            {
                "u": "My left knee hurts on stairs after the runs, on the outside of the joint.",
                "a": "Pain on the outer side of the knee in runners is often the iliotibial "
                "band. Reduce mileage and avoid downhill running for a week.",
                "q": [
                    ("paraphrase", "Which joint aches when I climb steps?", "u"),
                    ("assistant", "What did you think the outer leg pain might be?", "a"),
                ],
            },
            {
                "u": "I have an appointment with {physio} on Thursday morning.",
                "a": "Bring your running shoes and your training log to {physio}; they help "
                "spot changes in load or gait.",
                "q": [
                    ("keyword", "{physio}", "ua"),
                ],
            },
            {
                "u": "The physio gave me exercises: clamshells and side planks every day.",
                "a": "Those strengthen the hip abductors, which take strain off the knee. Do "
                "three sets of fifteen and keep them up after the pain goes.",
                "q": [
                    ("paraphrase", "Which rehab movements was I prescribed?", "u"),
                ],
            },
        ],
    },
    {
        "name": "flat",
        "split": "dev",
        "topic": "the apartment",
        "titles": ("Flat hunting", "Problems with the new flat"),
        "a": [
            {
                "u": "I found a two-bedroom flat on {street} for {rent} a month.",
                "a": "{rent} a month for two bedrooms there is fair. Ask what the service "
                "charges and heating cost on top of it.",
                "q": [
                    ("keyword", "{street}", "u"),
                    ("paraphrase", "How expensive was the place I was considering renting?", "u"),
                ],
            },
            {
                "u": "The landlord is {landlord} and she wants three months of deposit.",
                "a": "Three months is above what many cities allow; check the local cap and "
                "ask for the deposit to be held in a protected scheme.",
                "q": [
                    ("keyword", "{landlord}", "u"),
                    (
                        "assistant",
                        "What did you say about the security payment being too high?",
                        "a",
                    ),
                ],
            },
            {
                "u": "What should I check during the viewing?",
                "a": "Check water pressure, signs of damp in corners, window seals, phone "
                "signal, and noise from the street at rush hour.",
                "q": [
                    ("assistant", "Inspection checklist for visiting a property", "a"),
                ],
            },
        ],
        "b": [
            {
                "u": "We moved in, but the boiler broke on the second night and there is no hot "
                "water.",
                "a": "Report it to the landlord in writing today; a missing hot water supply is "
                "an urgent repair that must be fixed quickly.",
                "q": [
                    ("paraphrase", "What appliance stopped working right after moving?", "u"),
                ],
            },
            {
                "u": "{landlord} says the plumber can only come next Wednesday.",
                "a": "A week without hot water is too long; ask {landlord} for a temporary "
                "heater or a rent reduction for the days without it.",
                "q": [
                    (
                        "assistant",
                        "What compensation did you propose while waiting for repair?",
                        "a",
                    ),
                ],
            },
            {
                "u": "Also the neighbours upstairs are very loud after midnight.",
                "a": "Talk to them first, calmly and in person; if it goes on, keep a dated "
                "log of the noise before going to the building manager.",
                "q": [
                    ("paraphrase", "Complaint about people living above me", "u"),
                    (
                        "assistant",
                        "What record did you tell me to keep about the disturbance?",
                        "a",
                    ),
                ],
            },
        ],
    },
    # ---------------------------------------------------------------- test themes
    {
        "name": "freelance",
        "split": "test",
        "topic": "my invoices",
        "titles": ("Invoice for {client}", "Tax return as a freelancer"),
        "a": [
            {
                "u": "I sent invoice {invoice} to {client} for {amount} euros six weeks ago and "
                "they still haven't paid.",
                "a": "Send a polite reminder that quotes {invoice}, the amount and the original "
                "due date, and ask when payment is scheduled.",
                "q": [
                    ("keyword", "{invoice}", "ua"),
                    ("paraphrase", "Which customer owes me money?", "u"),
                ],
            },
            {
                "u": "Can I charge late payment interest on it?",
                "a": "In the EU you can usually claim statutory interest plus a fixed 40 euro "
                "recovery fee on late business payments; state it in the reminder.",
                "q": [
                    ("assistant", "What extra fee did you mention for overdue bills?", "a"),
                ],
            },
            {
                "u": "{client} finally paid, but only {amount} minus bank fees.",
                "a": "Ask them to cover the transfer fees next time, or add a line to your "
                "terms that the payer bears all bank charges.",
                "q": [
                    ("keyword", "{client}", "u"),
                    ("assistant", "How should I avoid losing money on transfer costs?", "a"),
                ],
            },
        ],
        "b": [
            {
                "u": "My accountant {accountant} needs all receipts for the tax return by the "
                "end of the month.",
                "a": "Scan the receipts now and name each file by date and amount, so "
                "{accountant} can match them to your bank statement.",
                "q": [
                    ("keyword", "{accountant}", "ua"),
                    ("paraphrase", "When is the paperwork deadline for my bookkeeper?", "u"),
                ],
            },
            {
                "u": "Can I deduct my home office?",
                "a": "Usually a share of rent and utilities, in proportion to the floor area "
                "used only for work, is deductible; keep a floor plan.",
                "q": [
                    ("paraphrase", "Claiming my workspace at home against taxes", "u"),
                    ("assistant", "How is the deductible portion for the study computed?", "a"),
                ],
            },
            {
                "u": "I bought a new laptop for work this year for 1,800 euros.",
                "a": "A laptop that costs 1,800 euros is normally depreciated over three years "
                "rather than deducted at once; ask {accountant} about the local rule.",
                "q": [
                    ("keyword", "1,800 euros laptop", "ua"),
                    (
                        "assistant",
                        "Over what period should the computer purchase be written off?",
                        "a",
                    ),
                ],
            },
        ],
    },
    {
        "name": "dinner",
        "split": "test",
        "topic": "the dinner party",
        "titles": ("Dinner party menu", "Hosting again"),
        "a": [
            {
                "u": "I'm hosting {guests} friends on Saturday and thinking of making {dish}.",
                "a": "{dish} scales well for {guests} people; prepare the base in the afternoon "
                "and finish it when guests arrive.",
                "q": [
                    ("keyword", "{dish}", "ua"),
                    (
                        "paraphrase",
                        "What main course did I plan for the weekend get-together?",
                        "u",
                    ),
                ],
            },
            {
                "u": "One guest is allergic to {allergy}.",
                "a": "Keep {allergy} out of the whole menu rather than one plate, check sauce "
                "and stock labels, and use separate spoons.",
                "q": [
                    ("keyword", "{allergy}", "u"),
                    ("assistant", "How did you say to keep the sensitive friend safe?", "a"),
                ],
            },
            {
                "u": "What dessert can I make the day before?",
                "a": "A lemon tart or a chocolate mousse both keep overnight in the fridge and "
                "need nothing at the last minute.",
                "q": [
                    ("assistant", "Sweet course ideas that can be prepared ahead", "a"),
                ],
            },
        ],
        "b": [
            {
                "u": "The party went well, but the {dish} took much longer than I expected.",
                "a": "Next time cook it in two pans so each batch browns properly; crowding the "
                "pan is what slows it down.",
                "q": [
                    ("assistant", "Your tip for speeding up the main dish next time", "a"),
                ],
            },
            {
                "u": "I'm doing it again next month for my sister's birthday with twenty people.",
                "a": "For twenty, switch to a buffet: two mains, three sides, and let people "
                "serve themselves.",
                "q": [
                    ("paraphrase", "Celebration for a sibling, how many attending?", "u"),
                    (
                        "assistant",
                        "What serving format did you recommend for the bigger crowd?",
                        "a",
                    ),
                ],
            },
            {
                "u": "How much wine should I buy for that?",
                "a": "Count half a bottle per drinking guest for a three-hour party, so about "
                "ten bottles, plus sparkling water.",
                "q": [
                    ("paraphrase", "Quantity of drinks to purchase for the event", "u"),
                    ("assistant", "How many bottles did you estimate?", "a"),
                ],
            },
        ],
    },
    {
        "name": "car",
        "split": "test",
        "topic": "my car",
        "titles": ("{car} noise", "Car insurance renewal"),
        "a": [
            {
                "u": "My {car} makes a grinding noise when I brake.",
                "a": "Grinding when braking usually means the pads are worn down to the metal; "
                "stop driving far and get the brakes checked this week.",
                "q": [
                    ("keyword", "{car}", "u"),
                    ("assistant", "What did you think was causing the sound when stopping?", "a"),
                ],
            },
            {
                "u": "{garage} quoted {quote} euros for pads and discs.",
                "a": "{quote} euros for pads and discs on both axles is in the normal range; "
                "ask whether it is one axle or both before agreeing.",
                "q": [
                    ("keyword", "{garage}", "u"),
                    ("paraphrase", "What price did the mechanic give me?", "u"),
                ],
            },
            {
                "u": "Should I also change the brake fluid?",
                "a": "Brake fluid absorbs moisture, so most makers want it replaced every two "
                "years; if it has been longer, do it with the pads.",
                "q": [
                    ("assistant", "How often should the hydraulic liquid be replaced?", "a"),
                ],
            },
        ],
        "b": [
            {
                "u": "My car insurance renewal came in 30 percent higher for plate {plate}.",
                "a": "Renewal quotes often rise for loyal customers; get two comparison quotes "
                "and call them back to ask for the new-customer price.",
                "q": [
                    ("keyword", "{plate}", "u"),
                    ("paraphrase", "How much did my vehicle cover go up?", "u"),
                ],
            },
            {
                "u": "Is it worth adding a dashcam?",
                "a": "Some insurers give a small discount for a dashcam, and footage settles "
                "disputes about who caused an accident.",
                "q": [
                    ("assistant", "Benefits you listed for a windscreen camera", "a"),
                ],
            },
            {
                "u": "I switched insurers and saved 210 euros a year.",
                "a": "Well done. Put a reminder a month before next year's renewal so you can "
                "compare again before it auto-renews.",
                "q": [
                    ("keyword", "210 euros", "u"),
                    ("assistant", "What did you suggest so I don't forget to shop around?", "a"),
                ],
            },
        ],
    },
    {
        "name": "spanish",
        "split": "test",
        "topic": "learning Spanish",
        "titles": ("Spanish lessons", "Spanish exam results"),
        "a": [
            {
                "u": "I started Spanish lessons with {teacher} twice a week, aiming for {level} "
                "by summer.",
                "a": "Twice a week with {teacher} is a good rhythm; add fifteen minutes of daily "
                "vocabulary review between lessons.",
                "q": [
                    ("keyword", "{teacher}", "ua"),
                    ("paraphrase", "How frequently do I meet my language tutor?", "u"),
                ],
            },
            {
                "u": "I keep mixing up ser and estar.",
                "a": "Use ser for what something is, like origin or profession, and estar for "
                "states and locations, like being tired or being at home.",
                "q": [
                    ("assistant", "Your rule of thumb for the two verbs meaning to be", "a"),
                ],
            },
            {
                "u": "Can you recommend a podcast for listening practice?",
                "a": "Try Coffee Break Spanish for structure and Duolingo's Spanish podcast for "
                "real stories told slowly.",
                "q": [
                    ("assistant", "Which audio shows did you suggest for comprehension?", "a"),
                    ("keyword", "Coffee Break Spanish", "a"),
                ],
            },
        ],
        "b": [
            {
                "u": "I got my {level} exam results: {score} out of 100, and the speaking part "
                "was the weakest.",
                "a": "{score} is a pass. To improve speaking, record yourself answering one "
                "question a day and listen back for hesitations.",
                "q": [
                    ("keyword", "{score} out of 100", "ua"),
                    ("paraphrase", "What grade did I receive on the test?", "u"),
                ],
            },
            {
                "u": "{teacher} suggested conversation exchanges with native speakers.",
                "a": "Tandem apps and local language cafés both work; aim for thirty minutes in "
                "each language so the exchange stays fair.",
                "q": [
                    ("assistant", "Where can I find a partner to practise talking?", "a"),
                ],
            },
            {
                "u": "Next goal: reading a whole novel in Spanish.",
                "a": "Start with a short modern novel you already know in translation, such as "
                "a Gabriel García Márquez novella, and don't look up every word.",
                "q": [
                    ("paraphrase", "My ambition for a book in the foreign language", "u"),
                    ("keyword", "García Márquez", "a"),
                ],
            },
        ],
    },
]

FILLERS: list[tuple[str, str]] = [
    ("Thanks, that helps a lot.", "You're welcome, let me know how it goes."),
    ("Great, I'll try that.", "Good luck, and tell me if anything changes."),
    ("Ok, makes sense.", "Glad it does. Anything else on this?"),
]
