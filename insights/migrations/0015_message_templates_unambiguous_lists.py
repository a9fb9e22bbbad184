"""The default message templates list products one a line (a product name may hold a comma, "Smoked Chutney,
1 kg", so "A, B and C" could be misread) and give the last order's date as the pages do (7 Dec 2026, from the
data). A template an admin has edited is left as it is."""

from django.db import migrations

OLD = {
    "win_back": (
        "Hello {{ customer.first_name|default:'there' }},\n\nIt has been a while since your last order"
        "{% if last_order %} ({{ last_order }}){% endif %}.{% if products %} You used to order {{ products_text }}: "
        "they are still here, and I would be glad to set up your next order.{% endif %}\n\n{{ rep.name }}"
    ),
    "send_offer": (
        "Hello {{ customer.first_name|default:'there' }},\n\n{% if usual_gap_days %}You usually order about every "
        "{{ usual_gap_days }} days. {% endif %}{% if products %}This time you may like {{ products_text }}. {% endif %}"
        "Reply to this message and I will take care of it.\n\n{{ rep.name }}"
    ),
}
NEW = {
    "win_back": (
        "Hello {{ customer.first_name|default:'there' }},\n\nIt has been a while since your last order"
        "{% if last_order %} on {{ last_order }}{% endif %}.{% if products %} You used to order:"
        "{% for product in products %}\n- {{ product }}{% endfor %}\n\nThey are still here, and I would be glad to "
        "set up your next order.{% endif %}\n\n{{ rep.name }}"
    ),
    "send_offer": (
        "Hello {{ customer.first_name|default:'there' }},\n\n{% if usual_gap_days %}You usually order about every "
        "{{ usual_gap_days }} days. {% endif %}{% if products %}This time you may like:"
        "{% for product in products %}\n- {{ product }}{% endfor %}\n\n{% endif %}"
        "Reply to this message and I will take care of it.\n\n{{ rep.name }}"
    ),
}


def forward(apps, schema_editor):
    MessageTemplate = apps.get_model("insights", "MessageTemplate")
    for action, body in NEW.items():
        MessageTemplate.objects.filter(action=action, body=OLD[action]).update(body=body)


def backward(apps, schema_editor):
    MessageTemplate = apps.get_model("insights", "MessageTemplate")
    for action, body in OLD.items():
        MessageTemplate.objects.filter(action=action, body=NEW[action]).update(body=body)


class Migration(migrations.Migration):
    dependencies = [("insights", "0014_value_p_alive_null_for_one_time_buyers")]

    operations = [migrations.RunPython(forward, backward)]
