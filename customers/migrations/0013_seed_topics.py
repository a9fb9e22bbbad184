"""The starting topic list (an admin edits it afterwards): what customers most often write about to a shop."""

from django.db import migrations

TOPICS = (
    ("delivery", "Delivery", "Late, lost, damaged or wrong deliveries; delivery dates and addresses"),
    ("price", "Price", "Prices, discounts, quotes and price rises"),
    ("product_quality", "Product quality", "Faults, breakages, materials and how a product performs"),
    ("billing", "Billing", "Invoices, payments, refunds and charges"),
    ("praise", "Praise", "Thanks and compliments"),
    ("churn_threat", "Churn threat", "Cancelling, leaving or moving to a competitor"),
    ("general", "General", "Everything else: check-ins, contact details, arrangements"),
)


def seed(apps, schema_editor):
    Topic = apps.get_model("customers", "Topic")
    for position, (slug, name, description) in enumerate(TOPICS):
        Topic.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )


def unseed(apps, schema_editor):
    apps.get_model("customers", "Topic").objects.filter(slug__in=[slug for slug, _, _ in TOPICS], labels=None).delete()


class Migration(migrations.Migration):
    dependencies = [("customers", "0012_topic_interactionlabel")]

    operations = [migrations.RunPython(seed, unseed)]
