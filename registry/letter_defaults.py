# ruff: noqa: E501 - each paragraph of a letter is one line of text, as the letter reflows it
"""The default wording of every letter, and the default forbidden phrasings (docs/rules/ehe.md §10).

Migration 0019 loads them once, as version 1 of each template (published) and as the first
forbidden phrases; from then on they are the LA's data, changed in the administration pages.
No legal review is recorded for them: the LA's lawyers review the wording and an administrator
records the date. Written in plain English; the EHE letters say what the LA's powers are and are
not (no right of entry, no duty on parents to prove, a visit or meeting is the parent's choice).
"""

SIGN_OFF = """Yours sincerely,

{{ officer.name }}
{{ la.name }}"""

CONTACT = (
    "Your named contact is {{ la.contact_name }}"
    "{% if la.contact_email %} ({{ la.contact_email }}){% endif %}."
)

CHILD_LINES = """Child: {{ child.full_name }}, born {{ child.date_of_birth }}
Address: {{ child.address }}"""

EHE_GUIDANCE = (
    "DfE, Elective home education: departmental guidance for local authorities (April 2019)"
)

TEMPLATES = {
    "ehe_acknowledgement": {
        "title": "Home education of {{ child.full_name }}",
        "statutory_basis": f"Education Act 1996 ss.7 and 436A; {EHE_GUIDANCE}, chapters 3 to 5.",
        "body": """Dear {{ recipient.name }},

Thank you for letting us know that you are educating {{ child.full_name }} (born {{ child.date_of_birth }}) at home. {{ la.name }} has recorded this.

Parents in England may educate their children at home. You do not need our permission, and you do not have to follow the National Curriculum or keep school hours. The law (section 7 of the Education Act 1996) asks that the education is efficient, full-time and suitable to your child's age, ability and aptitude, and to any special educational needs.

Local authorities must try to find out whether children in their area are receiving a suitable education. Government guidance asks us to do this informally and in proportion. We will be in touch to ask about the education you provide. You can choose how to tell us about it: for example a written description, some samples of work, a phone call, or a meeting at a place that suits you. A home visit is one option if you would like one; it is not something you have to agree to.

[[editable: support]]
We can offer information about exams and qualifications, advice about special educational needs, details of local home-education groups, and help with finding a school place if you decide you want one.
[[/editable]]

<<CONTACT>> Please get in touch with any questions or if you would like support. If you are unhappy with how we have dealt with you, you can use our complaints procedure.

<<SIGN_OFF>>""",
    },
    "ehe_informal_enquiry": {
        "title": "The education of {{ child.full_name }}",
        "statutory_basis": f"Education Act 1996 s.436A; {EHE_GUIDANCE}, chapters 5 and 6 "
        "(informal enquiries first).",
        "body": """Dear {{ recipient.name }},

We are writing about the education of {{ child.full_name }} (born {{ child.date_of_birth }}). Section 436A of the Education Act 1996 asks {{ la.name }} to find out whether children in its area are receiving a suitable education. This is an informal enquiry, as government guidance advises.

We would be grateful if you could tell us about the education you are providing. There is no set form, and you do not have to follow a particular curriculum or timetable. You can choose how to share it, for example:

- a written description of the education, in your own words;
- some samples of work;
- a phone or video call;
- a meeting at our office or another place that suits you;
- a visit to your home, if you would prefer that.

Meeting us, or a home visit, is your choice. We will consider whatever you choose to send.

[[editable: request]]
It would help to hear from you within the next four weeks. If you need more time, please let us know.
[[/editable]]

If we cannot tell from what we have whether the education is suitable, the law sets out formal steps we may have to take (section 437 of the Education Act 1996). We would much rather avoid that, and we will always talk to you first.

<<CONTACT>>

<<SIGN_OFF>>""",
    },
    "s437_notice": {
        "title": "Notice under section 437(1) of the Education Act 1996",
        "statutory_basis": "Education Act 1996 s.437(1) and (2): the parent has a period of not "
        f"less than 15 days to satisfy the LA; {EHE_GUIDANCE}, chapter 6.",
        "body": """Dear {{ recipient.name }},

<<CHILD_LINES>>

It appears to {{ la.name }} that {{ child.full_name }} may not be receiving suitable education, either by regular attendance at school or otherwise.

[[editable: reasons]]
[Say when the LA asked about the education, what information it has, and why that does not yet show that the education is suitable.]
[[/editable]]

Under section 437(1) of the Education Act 1996 we now require you to satisfy us, by {{ notice.respond_by }}, that {{ child.full_name }} is receiving suitable education. This means efficient full-time education suitable to {{ child.forenames }}'s age, ability and aptitude, and to any special educational needs.

You can choose how to show us the education: for example a written report, samples of work, a meeting or a visit. We will consider whatever you send, and you can send information at any time.

If you do not satisfy us by that date, and we think {{ child.full_name }} should attend school, we may serve notice that we intend to make a school attendance order. That notice would name a school, and you would be able to choose a different one.

<<CONTACT>> Please contact them if you would like to talk about this notice.

<<SIGN_OFF>>""",
    },
    "notice_of_intention": {
        "title": "Notice of intention to serve a school attendance order",
        "statutory_basis": "Education Act 1996 s.437(3) to (6) and s.438: notice of intention "
        "naming the school; the parent may choose another school within the period given.",
        "body": """Dear {{ recipient.name }},

<<CHILD_LINES>>

On {{ notice.previous_served_on }} we served a notice under section 437(1) of the Education Act 1996, asking you to satisfy us by {{ notice.previous_respond_by }} that {{ child.full_name }} is receiving suitable education.

[[editable: reasons]]
[Say what the LA received, and why it is not satisfied that the education is suitable.]
[[/editable]]

We are not satisfied that {{ child.full_name }} is receiving suitable education, and we think {{ child.forenames }} should attend school. Under section 437(3) of the Act we intend to serve a school attendance order requiring {{ child.full_name }} to be registered at:

{{ notice.school }}

If you would prefer a different school, you can choose one. Please tell us in writing by {{ notice.respond_by }}. If the school you choose will admit {{ child.forenames }}, we will name it in the order instead.

You can still send us information about the education you provide. If it shows that the education is suitable, we will not make the order.

<<CONTACT>>

<<SIGN_OFF>>""",
    },
    "sao": {
        "title": "School attendance order",
        "statutory_basis": "Education Act 1996 s.437(3) (the order), s.442 (revocation on the "
        "parent's request) and s.443 (the offence of failing to comply).",
        "body": """Dear {{ recipient.name }},

<<CHILD_LINES>>

{{ la.name }} has made a school attendance order under section 437(3) of the Education Act 1996. It requires you to cause {{ child.full_name }} to become a registered pupil at:

{{ notice.school }}

[[editable: arrangements]]
Please contact the school to arrange when {{ child.forenames }} will start. We will let the school know about this order.
[[/editable]]

The order stays in force while {{ child.full_name }} is of compulsory school age, unless we or a court revoke it. You can ask us at any time to revoke it because arrangements have been made for {{ child.forenames }} to receive suitable education otherwise than at school (section 442). If we refuse, you can refer the question to the Secretary of State.

Not complying with a school attendance order is an offence (section 443), unless you show that {{ child.full_name }} is receiving suitable education otherwise than at school.

<<CONTACT>>

<<SIGN_OFF>>""",
    },
    "sao_revocation": {
        "title": "Revocation of a school attendance order",
        "statutory_basis": "Education Act 1996 s.442 (revocation of a school attendance order).",
        "body": """Dear {{ recipient.name }},

<<CHILD_LINES>>

{{ la.name }} has revoked the school attendance order made on {{ notice.sao_on }} for {{ child.full_name }}, under section 442 of the Education Act 1996. The order no longer has effect from {{ letter.date }}.

[[editable: reason]]
We are now satisfied that {{ child.full_name }} is receiving suitable education.
[[/editable]]

<<CONTACT>>

<<SIGN_OFF>>""",
    },
    "cme_whereabouts": {
        "title": "We are trying to get in touch about {{ child.full_name }}",
        "statutory_basis": "Education Act 1996 s.436A; DfE, Children missing education: "
        "statutory guidance for local authorities (2016, updated August 2024).",
        "body": """Dear {{ recipient.name }},

{{ la.name }} must try to identify children in its area who are not registered at a school and may not be receiving a suitable education (section 436A of the Education Act 1996). We are writing about {{ child.full_name }} (born {{ child.date_of_birth }}).
{% if schools %}
Our records show:
{% for school in schools %}- {{ school }}
{% endfor %}{% endif %}
[[editable: what_we_know]]
We understand that {{ child.forenames }} has not been attending school recently, and we want to make sure that {{ child.forenames }} is safe and receiving an education.
[[/editable]]

Please contact us to tell us where {{ child.full_name }} is living now, and whether {{ child.forenames }} attends a school, is educated at home, or has moved to another area or abroad. If you are educating {{ child.forenames }} at home, you do not need our permission; please let us know so that we can update our records and tell you about the support we offer.

<<CONTACT>>

<<SIGN_OFF>>""",
    },
    "cme_other_la": {
        "title": "Children missing education: enquiry about {{ child.full_name }}",
        "statutory_basis": "Education Act 1996 s.436A; DfE, Children missing education: "
        "statutory guidance for local authorities (2016, updated August 2024): enquiries of "
        "other local authorities; UK GDPR Article 6(1)(e).",
        "body": """Dear {{ recipient.name }},

We are making enquiries about a child who may have moved into your area, under our duty in section 436A of the Education Act 1996.

Child: {{ child.full_name }}, born {{ child.date_of_birth }}
Last known address: {{ child.address }}
{% for parent in parents %}Parent or carer: {{ parent.name }}{% if parent.address %}, {{ parent.address }}{% endif %}
{% endfor %}{% for school in schools %}School history: {{ school }}
{% endfor %}
[[editable: enquiry]]
We believe the family may now be living in your area. Please could you check your records and tell us whether {{ child.forenames }} is known to you, is registered at a school in your area, or is being educated at home.
[[/editable]]

Please reply to {{ la.contact_name }}{% if la.contact_email %} at {{ la.contact_email }}{% endif %}, quoting the child's name and date of birth.

<<SIGN_OFF>>""",
    },
    "preliminary_notice": {
        "title": "Preliminary notice: the education of {{ child.full_name }}",
        "statutory_basis": "Education Act 1996 ss.436H to 436Q (inserted by the Children's "
        "Wellbeing and Schools Act 2026, in force from the commencement date set in the "
        "rulebook): the preliminary notice. The period follows the regulations once made.",
        "body": """Dear {{ recipient.name }},

<<CHILD_LINES>>

It appears to {{ la.name }} that {{ child.full_name }} may not be receiving suitable education, either by regular attendance at school or otherwise.

[[editable: reasons]]
[Say when the LA asked about the education, what information it has, and why that does not yet show that the education is suitable.]
[[/editable]]

This is a preliminary notice under the school attendance order procedure in the Education Act 1996 (sections 436H to 436Q). We ask you to satisfy us, by {{ notice.respond_by }}, that {{ child.full_name }} is receiving suitable education.

You can choose how to show us the education: for example a written report, samples of work, a meeting or a visit. We will consider whatever you send.

If you do not satisfy us by that date, we may serve a school nomination notice naming a school for {{ child.forenames }}, and you would be able to choose a different one.

<<CONTACT>>

<<SIGN_OFF>>""",
    },
    "school_nomination": {
        "title": "School nomination notice",
        "statutory_basis": "Education Act 1996 s.436K (inserted by the Children's Wellbeing and "
        "Schools Act 2026, in force from the commencement date set in the rulebook): the "
        "school nomination notice; the parent may select another school within the period.",
        "body": """Dear {{ recipient.name }},

<<CHILD_LINES>>

On {{ notice.previous_served_on }} we served a preliminary notice asking you to satisfy us by {{ notice.previous_respond_by }} that {{ child.full_name }} is receiving suitable education.

[[editable: reasons]]
[Say what the LA received, and why it is not satisfied that the education is suitable.]
[[/editable]]

We intend to make a school attendance order naming this school:

{{ notice.school }}

You can choose a different school, or secure an offer of a place at another school. Please tell us by {{ notice.respond_by }}.

You can still send us information about the education you provide. If it shows that the education is suitable, we will not make the order.

<<CONTACT>>

<<SIGN_OFF>>""",
    },
    # The register of children not in school (ss.436B-436G; docs/rules/ehe.md §6), offered once
    # it commences.
    "cnis_update": {
        "title": "Please update the information we hold about {{ child.full_name }}'s education",
        "statutory_basis": "Education Act 1996 ss.436C and 436D (inserted by the Children's "
        "Wellbeing and Schools Act 2026): the LA keeps a register of children not in school and "
        "may ask parents to update its information, no more often than every three months.",
        "body": """Dear {{ recipient.name }},

<<CHILD_LINES>>

{{ la.name }} keeps a register of children of compulsory school age in its area who are not at school full time, as the law now requires. {{ child.full_name }} is on it.

Please check and update the information we hold, by {{ request.respond_by }}:

- the name and address of each parent, and which of you educates {{ child.forenames }};
- an estimate of the time each week {{ child.forenames }} is educated by parents, and by anyone else;
- for anyone else who educates {{ child.forenames }} for more than the time the regulations set: their name, what kind of provider they are, and where they teach (or their website or email if online).

Estimates are enough. You can answer by replying to this letter, by email, or through the council's home education service online.

[[editable: further]]
[Anything else the officer wants to say, or the support the council offers.]
[[/editable]]

<<CONTACT>>

<<SIGN_OFF>>""",
    },
    "cnis_home_visit": {
        "title": "A visit to talk about {{ child.full_name }}'s education",
        "statutory_basis": "Education Act 1996 ss.436B to 436D (inserted by the Children's "
        "Wellbeing and Schools Act 2026): the LA may ask for an initial visit once a child is on "
        "the register of children not in school.",
        "body": """Dear {{ recipient.name }},

<<CHILD_LINES>>

{{ child.full_name }} is on {{ la.name }}'s register of children not in school. We would like to visit you at home to talk about {{ child.forenames }}'s education, by {{ request.respond_by }}.

[[editable: purpose]]
[Say what the visit is for, who would come, and how long it would take.]
[[/editable]]

Please tell us whether you agree, and which days and times would suit you. You may say no. If you do, we may ask you in another way to show us that {{ child.forenames }} is receiving a suitable education, and if we are not satisfied we may give you notice to satisfy us.

<<CONTACT>>

<<SIGN_OFF>>""",
    },
}

for _text in TEMPLATES.values():
    for _name, _value in (
        ("CONTACT", CONTACT),
        ("SIGN_OFF", SIGN_OFF),
        ("CHILD_LINES", CHILD_LINES),
    ):
        _text["body"] = _text["body"].replace(f"<<{_name}>>", _value)

NO_RIGHT_OF_ENTRY = (
    "The LA has no right of entry to a family's home: a home visit is one way a parent may "
    "choose to show the education (EHE guidance 2019)"
)
NO_DUTY_TO_PROVE = (
    "Parents have no duty to prove that the education is suitable (EHE guidance 2019); under "
    "s.437 the parent is asked to satisfy the LA"
)
NO_MANDATORY_VISIT = (
    "No law requires a visit or a meeting: it is one of the ways a parent may choose to show "
    "the education (EHE guidance 2019)"
)

FORBIDDEN_PHRASES = [
    ("must allow us to visit", NO_RIGHT_OF_ENTRY),
    ("must let us visit", NO_RIGHT_OF_ENTRY),
    ("must allow a visit", NO_RIGHT_OF_ENTRY),
    ("right to enter", NO_RIGHT_OF_ENTRY),
    ("right of entry", NO_RIGHT_OF_ENTRY),
    ("right to visit", NO_RIGHT_OF_ENTRY),
    ("you must prove", NO_DUTY_TO_PROVE),
    ("duty to prove", NO_DUTY_TO_PROVE),
    ("required to prove", NO_DUTY_TO_PROVE),
    ("a visit is required", NO_MANDATORY_VISIT),
    ("home visit is required", NO_MANDATORY_VISIT),
    ("must attend a meeting", NO_MANDATORY_VISIT),
    ("a meeting is required", NO_MANDATORY_VISIT),
    (
        "must follow the national curriculum",
        "Home education need not follow the National Curriculum (Education Act 1996 s.7)",
    ),
]


def seed_register_letters(apps, schema_editor) -> None:
    """Version 1 of the register's two letters, published (migration 0022); offered only once
    the register commences."""
    template_model = apps.get_model("registry", "LetterTemplate")
    for kind in ("cnis_update", "cnis_home_visit"):
        template_model.objects.get_or_create(
            kind=kind, version=1, defaults={**TEMPLATES[kind], "status": "published"}
        )


def seed(apps, schema_editor) -> None:
    """Version 1 of every template, published, and the default phrases (migration 0019)."""
    template_model = apps.get_model("registry", "LetterTemplate")
    phrase_model = apps.get_model("registry", "ForbiddenPhrase")
    for kind, text in TEMPLATES.items():
        template_model.objects.get_or_create(
            kind=kind, version=1, defaults={**text, "status": "published"}
        )
    for phrase, why in FORBIDDEN_PHRASES:
        phrase_model.objects.get_or_create(phrase=phrase, defaults={"why": why})
