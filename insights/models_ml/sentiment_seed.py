"""The built-in seed of labelled English texts the sentiment and topic models start from, so they work on the day
the CRM is installed, before staff have labelled anything. Short texts in the words of calls, emails and tickets,
written for this purpose (not taken from the demo data), roughly balanced between the three sentiments; each topic
slug is one of the topics seeded by customers' data migration (an admin may add more: the model learns a new topic
from staff labels alone).

Each sentence appears as written and once more inside a frame, as reps log them ("Customer said: ...")."""

from __future__ import annotations

NEGATIVE, NEUTRAL, POSITIVE = "negative", "neutral", "positive"

# (topic, sentiment): sentences
SENTENCES: dict[tuple[str, str], tuple[str, ...]] = {
    ("delivery", NEGATIVE): (
        "My parcel is two weeks late and nobody can tell me where it is.",
        "The box arrived crushed and the contents were broken.",
        "Your courier marked it delivered but nothing came.",
        "I have waited ten days for a next day delivery, this is ridiculous.",
        "Half of my order is missing from the shipment.",
        "They delivered to the wrong address again.",
        "The tracking link has not updated since Monday and I am fed up.",
        "Package left outside in the rain, everything soaked.",
        "Still no sign of my order, I needed it for the weekend.",
        "You sent me someone else's order.",
    ),
    ("delivery", NEUTRAL): (
        "Can I change the delivery date to next Thursday?",
        "Please send the order to my office address instead.",
        "Which courier do you use for international shipping?",
        "Could you confirm the expected delivery window?",
        "Is there a click and collect option near me?",
        "Asked for a tracking number for the last order.",
        "Wants to know if weekend delivery is possible.",
        "Requested that the driver calls before arriving.",
    ),
    ("delivery", POSITIVE): (
        "The parcel arrived a day early, brilliant service.",
        "Delivery was quick and the driver was very friendly.",
        "Really impressed by how fast the order got here.",
        "Everything arrived well packed and on time, thank you.",
        "Super fast shipping, ordered on Monday and it came Tuesday.",
        "The courier was careful and polite, great delivery.",
        "Tracking was clear and the parcel came exactly when promised.",
    ),
    ("price", NEGATIVE): (
        "Your prices have gone up again, I can find it much cheaper elsewhere.",
        "That is far too expensive for what it is.",
        "The shipping charge is a rip off for such a small order.",
        "I am annoyed that the discount code did not work.",
        "Another price rise, this is getting hard to justify.",
        "Your competitor sells the same thing for a third less.",
    ),
    ("price", NEUTRAL): (
        "Do you offer a discount for bulk orders?",
        "Could you send me a quote for two hundred units?",
        "What are your trade prices?",
        "Is the sale price still available next week?",
        "Do you price match other retailers?",
        "Asked whether the loyalty discount applies online.",
        "Please send the current price list.",
        "How much is the larger size?",
    ),
    ("price", POSITIVE): (
        "Great value for money, cheaper than anywhere else.",
        "Thanks for the generous discount, much appreciated.",
        "Very fair price for the quality you get.",
        "The bulk price you offered works really well for us.",
        "Happy with the new trade pricing, thanks.",
    ),
    ("product_quality", NEGATIVE): (
        "The handle snapped off after a week of normal use.",
        "It stopped working after three days, very poor quality.",
        "The colour faded after the first wash.",
        "The stitching came apart straight away, cheaply made.",
        "The item is faulty and does not switch on.",
        "It looks nothing like the picture, the material feels cheap.",
        "Second one in a row that arrived defective.",
        "The zip broke the first time I used it, really disappointing.",
        "The seal leaks and ruined the shelf.",
    ),
    ("product_quality", NEUTRAL): (
        "Is this item dishwasher safe?",
        "What material is the lining made of?",
        "Does it come with a warranty?",
        "Reported a small scratch on the lid, a replacement would be fine.",
        "Asked for the dimensions before ordering.",
        "Which size would you recommend for a small kitchen?",
    ),
    ("product_quality", POSITIVE): (
        "Solid build, feels like it will last for years.",
        "The quality is excellent, much better than I expected.",
        "Beautifully made, the finish is perfect.",
        "Works perfectly, exactly as described.",
        "Sturdy and well designed, very pleased with it.",
        "Lovely soft fabric and it washes really well.",
        "The new version is a real improvement, well done.",
        "Still going strong after two years, great product.",
    ),
    ("billing", NEGATIVE): (
        "I have been charged twice for the same order.",
        "My refund still has not come through after a month.",
        "The invoice total is wrong and nobody answers my emails.",
        "You took payment for an order I cancelled.",
        "I was billed for items that never arrived.",
        "The direct debit went out on the wrong date and I was overdrawn.",
    ),
    ("billing", NEUTRAL): (
        "Could you resend the invoice for last month?",
        "Please update the billing address on my account.",
        "Can we pay by bank transfer instead of card?",
        "Asked for a VAT receipt for the last order.",
        "What are your payment terms for trade accounts?",
        "Please add our purchase order number to the invoice.",
        "Wants to change the card used for the subscription.",
    ),
    ("billing", POSITIVE): (
        "Thanks for sorting the refund so quickly.",
        "The billing team fixed the invoice straight away, very helpful.",
        "Payment went through smoothly, thank you.",
    ),
    ("praise", POSITIVE): (
        "Absolutely love it, thank you so much!",
        "Your team is wonderful, always so helpful.",
        "Best customer service I have had in years.",
        "I will recommend you to all my friends.",
        "Thank you for going above and beyond.",
        "Five stars, we are delighted with everything.",
        "What a lovely experience from start to finish.",
        "Just wanted to say a big thank you to Sarah in support.",
        "We are very happy customers, keep up the great work.",
        "Fantastic as always, you never let us down.",
        "Really appreciate the personal touch.",
        "The gift was a huge hit, thank you!",
        "Brilliant service, you made my day.",
        "So pleased with the order, thanks to everyone involved.",
        "Excellent from start to finish, we love shopping with you.",
    ),
    ("praise", NEUTRAL): (
        "Left a review on your website.",
        "Filled in the satisfaction survey.",
    ),
    ("churn_threat", NEGATIVE): (
        "If this happens again I will take my business elsewhere.",
        "Please cancel my account, I am moving to another supplier.",
        "We are seriously considering switching to a competitor.",
        "This is the last order we will place with you.",
        "Cancel my subscription, I have had enough.",
        "Unless you fix this we will stop ordering.",
        "I want to close my account.",
        "We have found another supplier and will not be renewing.",
        "After this experience I will not be buying from you again.",
        "Thinking about leaving, the service has gone downhill.",
    ),
    ("churn_threat", NEUTRAL): (
        "We are reviewing our suppliers this quarter and may not renew.",
        "Please send the notice period for ending our contract.",
    ),
    ("general", NEUTRAL): (
        "Called to confirm the meeting on Tuesday.",
        "Left a voicemail, will try again tomorrow.",
        "Updated the contact details on the account.",
        "Sent the new catalogue as requested.",
        "Customer asked to be added to the newsletter.",
        "Quick catch up, nothing needed at the moment.",
        "Arranged a visit to the showroom next month.",
        "Asked about opening hours over the holidays.",
        "Confirmed the account manager's new phone number.",
        "Forwarded the enquiry to the wholesale team.",
        "Noted that the buyer is on leave until the tenth.",
        "Scheduled a review of the account for next quarter.",
    ),
    ("general", POSITIVE): (
        "Good chat, they are keen to hear about the new range.",
        "Friendly call, they plan to order more next season.",
        "Great meeting, they want to expand the partnership.",
        "They were happy with everything and looking forward to spring.",
        "Pleasant visit, they enjoyed the samples and will order soon.",
        "Positive call, they like working with us.",
    ),
    ("general", NEGATIVE): (
        "Nobody returned my call yesterday, very frustrating.",
        "Your phone line kept me on hold for forty minutes.",
        "I am unhappy with how my last enquiry was handled.",
    ),
}

FRAMES = ("Customer said: {}", "Note from call - {}")


def seed_examples() -> list[tuple[str, str, str, int]]:
    """(text, sentiment, topic, group) for every seed sentence, as written and in one frame (alternating frames);
    `group` numbers the sentence, so a split keeps its two texts together."""
    examples = []
    group = 0
    for (topic, sentiment), sentences in SENTENCES.items():
        for i, sentence in enumerate(sentences):
            examples.append((sentence, sentiment, topic, group))
            examples.append((FRAMES[i % len(FRAMES)].format(sentence), sentiment, topic, group))
            group += 1
    return examples
