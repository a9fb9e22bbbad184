"""Small built-in word lists for the demo data: people, companies, places and the product catalogue.

Kept in code rather than drawn from a faker library at run time, so that generation is fast, needs no extra
dependency, and gives the same names for the same seed on every machine and every library version.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia", "Grace", "Freya",
    "Emily", "Ella", "Poppy", "Evie", "Chloe", "Hannah", "Sarah", "Laura", "Niamh", "Aoife", "Claire", "Anna",
    "Marie", "Julia", "Lena", "Sofia", "Lucia", "Elena", "Priya", "Aisha", "Fatima", "Mei", "Yuki", "Zara",
    "Oliver", "George", "Noah", "Arthur", "Leo", "Harry", "Oscar", "Jack", "Charlie", "Thomas", "James", "William",
    "Henry", "Alfie", "Joshua", "Daniel", "Samuel", "David", "Patrick", "Sean", "Conor", "Lukas", "Felix", "Jan",
    "Pierre", "Louis", "Hugo", "Mateo", "Pablo", "Ravi", "Arjun", "Omar", "Yusuf", "Kenji", "Wei", "Tomasz",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson", "Wright",
    "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Hughes",
    "Edwards", "Turner", "Hill", "Moore", "Cooper", "Ward", "Morris", "King", "Harris", "Baker", "Lewis", "Martin",
    "Murphy", "Kelly", "Byrne", "Ryan", "O'Brien", "Walsh", "Campbell", "Stewart", "MacDonald", "Fraser", "Reid",
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Dubois", "Laurent", "Moreau", "Bernard", "de Vries",
    "Jansen", "Bakker", "García", "Fernández", "López", "Martínez", "Peeters", "Janssens", "Khan", "Shah", "Ahmed",
    "Singh", "Chen", "Wang", "Nakamura", "Kowalski", "Nowak", "Rossi", "Bianchi", "Anderson", "Miller", "Davis",
)  # fmt: skip

# Parts of made-up business names: "{word} {noun} {suffix}" or "{last name} & {family} {suffix}".
COMPANY_WORDS = (
    "Northgate", "Riverside", "Bluebell", "Oakwood", "Harbour", "Meadow", "Copper", "Highland", "Kingsway",
    "Foxglove", "Saltmarsh", "Granite", "Willow", "Lantern", "Greenfield", "Brightwater", "Redbrick", "Summit",
    "Orchard", "Ashford", "Silverline", "Thistle", "Beacon", "Clover", "Juniper", "Marble", "Westbrook", "Larch",
)  # fmt: skip
COMPANY_NOUNS = (
    "Trading", "Cafe", "Kitchens", "Interiors", "Supplies", "Deli", "Hotel", "Bakery", "Gifts", "Stores",
    "Catering", "Roasters", "Design", "Living", "Provisions", "Outfitters", "Emporium", "Studio", "Market", "Inn",
)  # fmt: skip
COMPANY_SUFFIXES = ("Ltd", "Ltd", "Limited", "LLP", "& Co", "GmbH", "BV", "SARL", "Inc", "")
COMPANY_FAMILY = ("Sons", "Daughters", "Partners", "Co", "Family")

EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example", "post.example")

# (country, weight, calling code, cities): weights are relative shares of the customer base.
COUNTRIES = (
    (
        "United Kingdom",
        55,
        "+44",
        ("London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Bristol", "Edinburgh", "Liverpool", "Cardiff",
         "Belfast", "Nottingham", "Sheffield", "Brighton", "York", "Oxford", "Cambridge"),
    ),
    ("Ireland", 8, "+353", ("Dublin", "Cork", "Galway", "Limerick")),
    ("Germany", 8, "+49", ("Berlin", "Hamburg", "Munich", "Cologne", "Frankfurt")),
    ("France", 7, "+33", ("Paris", "Lyon", "Marseille", "Lille", "Bordeaux")),
    ("Netherlands", 6, "+31", ("Amsterdam", "Rotterdam", "Utrecht", "The Hague")),
    ("Spain", 5, "+34", ("Madrid", "Barcelona", "Valencia", "Seville")),
    ("United States", 7, "+1", ("New York", "Chicago", "Boston", "Seattle", "Austin")),
    ("Belgium", 4, "+32", ("Brussels", "Antwerp", "Ghent")),
)  # fmt: skip

# The catalogue: category -> (SKU code, typical price in pounds, adjectives, nouns, selling points).
CATEGORIES = {
    "Coffee": (
        "COF",
        11.0,
        ("Classic", "Organic", "Dark Roast", "House", "Single-Origin", "Decaf", "Morning", "Barista"),
        ("Espresso Beans", "Filter Coffee", "Cold Brew Kit", "Moka Pot", "Burr Grinder", "Milk Frother",
         "Pour-Over Dripper", "Coffee Capsules", "Paper Filters"),
        ("roasted in small batches", "notes of chocolate and hazelnut", "ethically sourced", "freshly ground"),
    ),
    "Tea": (
        "TEA",
        7.5,
        ("English", "Green", "Jasmine", "Earl Grey", "Chai", "Rooibos", "Herbal", "Breakfast"),
        ("Loose Leaf Tea", "Tea Bags", "Teapot", "Tea Infuser", "Tea Caddy", "Matcha Powder", "Tea Towel"),
        ("hand-picked leaves", "a bright, fresh cup", "caffeine free", "blended in Yorkshire"),
    ),
    "Kitchen": (
        "KIT",
        24.0,
        ("Enamel", "Cast Iron", "Bamboo", "Stainless", "Copper", "Nonstick", "Professional", "Compact"),
        ("Frying Pan", "Saucepan", "Chopping Board", "Knife Set", "Mixing Bowl", "Baking Tray", "Utensil Set",
         "Casserole Dish", "Spice Rack"),
        ("dishwasher safe", "lifetime guarantee", "works on induction", "easy to clean"),
    ),
    "Tableware": (
        "TAB",
        16.0,
        ("Stoneware", "Porcelain", "Speckled", "Glazed", "Rustic", "Nordic", "Hand-Thrown", "Everyday"),
        ("Dinner Plate", "Side Plate", "Pasta Bowl", "Mug", "Serving Platter", "Tumbler Set", "Wine Glasses",
         "Napkin Set", "Placemats"),
        ("made in Stoke-on-Trent", "microwave safe", "chip resistant", "set of four"),
    ),
    "Home Fragrance": (
        "FRA",
        14.0,
        ("Fig", "Cedar", "Lavender", "Sea Salt", "Amber", "Orange Blossom", "Winter Spice", "Fresh Linen"),
        ("Scented Candle", "Reed Diffuser", "Room Spray", "Wax Melts", "Diffuser Refill", "Candle Snuffer"),
        ("hand-poured soy wax", "40-hour burn time", "natural essential oils", "recyclable glass"),
    ),
    "Bath & Body": (
        "BAT",
        9.5,
        ("Oat", "Rose", "Eucalyptus", "Charcoal", "Shea", "Citrus", "Sensitive", "Botanical"),
        ("Hand Soap", "Hand Cream", "Body Wash", "Bath Salts", "Soap Bar", "Lip Balm", "Body Lotion", "Sponge"),
        ("vegan formula", "no parabens", "refillable bottle", "gentle on skin"),
    ),
    "Stationery": (
        "STA",
        6.0,
        ("Recycled", "Linen", "Dot-Grid", "Lined", "Pocket", "Desk", "Kraft", "Weekly"),
        ("Notebook", "Planner", "Pen Set", "Greeting Cards", "Wrapping Paper", "Gift Tags", "Envelopes",
         "Sticky Notes", "Pencil Case"),
        ("FSC certified paper", "lay-flat binding", "printed in the UK", "acid-free pages"),
    ),
    "Garden": (
        "GAR",
        19.0,
        ("Terracotta", "Galvanised", "Heritage", "Wildflower", "Herb", "Solar", "Weatherproof", "Cottage"),
        ("Plant Pot", "Watering Can", "Seed Kit", "Garden Gloves", "Trowel", "Bird Feeder", "String Lights",
         "Planter", "Kneeler"),
        ("frost resistant", "built to last outdoors", "peat-free", "for balconies and patios"),
    ),
    "Pantry": (
        "PAN",
        5.0,
        ("Artisan", "Smoked", "Sicilian", "Wildflower", "Sourdough", "Spiced", "Sea-Salted", "Stoneground"),
        ("Olive Oil", "Honey", "Pasta", "Chocolate Bar", "Biscuits", "Granola", "Chutney", "Jam", "Crackers"),
        ("small-batch recipe", "no added sugar", "from family producers", "a store cupboard favourite"),
    ),
    "Gifts": (
        "GIF",
        32.0,
        ("Luxury", "Deluxe", "Seasonal", "Thank-You", "New Home", "Birthday", "Letterbox", "Classic"),
        ("Gift Box", "Hamper", "Gift Set", "Tasting Set", "Advent Calendar", "Gift Card Bundle"),
        ("beautifully wrapped", "ready to give", "with a handwritten card", "curated by our buyers"),
    ),
}  # fmt: skip

SIZES = ("", "", "", "Small", "Large", "Set of 2", "250 g", "1 kg", "Twin Pack", "Mini")

NEUTRAL_TAGS = ("trade fair 2024", "newsletter signup", "catalogue request", "referred by partner", "pop-up visit")
