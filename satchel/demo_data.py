"""The demo's data: two school districts, their classroom-technology badges, and the images drawn for them.

Every achievement is aligned to the ISTE Standards for Educators (the 2017
standards, sections 2.1 to 2.7, published at https://iste.org/standards/educators).
The images are small SVG badges drawn here from a shape, two colours and a
glyph, so the demo needs no download and every badge looks different.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

ISTE_EDUCATORS_URL = "https://iste.org/standards/educators"

# ISTE Standards for Educators (2017): the seven roles, by section number.
ISTE_EDUCATORS = {
    "2.1": "Learner",
    "2.2": "Leader",
    "2.3": "Citizen",
    "2.4": "Collaborator",
    "2.5": "Designer",
    "2.6": "Facilitator",
    "2.7": "Analyst",
}


def iste(section: str) -> tuple[str, str]:
    """An alignment (target name, target URL) for one ISTE Standards for Educators section."""
    return f"ISTE Standards for Educators {section} {ISTE_EDUCATORS[section]}", ISTE_EDUCATORS_URL


@dataclass(frozen=True)
class DemoAchievement:
    name: str
    description: str
    criteria: str
    tags: tuple[str, ...]
    alignments: tuple[tuple[str, str], ...]
    colours: tuple[str, str]  # background, accent
    glyph: str  # one or two characters drawn in the badge
    evidence: str = "required"


@dataclass(frozen=True)
class DemoDistrict:
    slug: str  # issuer-a / issuer-b: the name printed before its URL
    name: str
    url: str
    email: str
    admin_email: str
    reviewer_email: str
    achievements: tuple[DemoAchievement, ...]
    held: tuple[int, ...]  # indices of the achievements the demo teacher already holds


LAKESIDE = DemoDistrict(
    slug="issuer-a", name="Lakeside Unified School District", url="https://lakeside.example.org",
    email="badges@lakeside.example.org", admin_email="admin@lakeside.example.org",
    reviewer_email="reviewer@lakeside.example.org",
    achievements=(
        DemoAchievement(
            name="Padlet Collaboration Walls",
            description="Designs Padlet walls on which students post, comment on and sort each other's ideas.",
            criteria="Ran a Padlet wall with a class: a prompt, student posts, peer comments, and a sorted summary.\n"
                     "Moderated the wall (post approval or clear norms) and kept student privacy settings on.",
            tags=("Padlet", "collaboration"), alignments=(iste("2.4"), iste("2.3")),
            colours=("#1f5f8b", "#f2c14e"), glyph="P"),
        DemoAchievement(
            name="Flip Video Reflections",
            description="Uses Flip video topics for student reflection and teacher feedback on spoken work.",
            criteria="Set up a Flip topic with a reflection prompt and a time limit.\n"
                     "Gave recorded or written feedback to every student response.",
            tags=("Flip", "video", "reflection"), alignments=(iste("2.6"), iste("2.7")),
            colours=("#2e7d4f", "#e8f5e9"), glyph="F"),
        DemoAchievement(
            name="Nearpod Interactive Lessons",
            description="Builds Nearpod lessons that mix content slides with polls, quizzes and drawing activities.",
            criteria="Built a Nearpod lesson with at least three interactive activities.\n"
                     "Used the lesson report to adjust the next lesson.",
            tags=("Nearpod", "lesson design"), alignments=(iste("2.5"), iste("2.7")),
            colours=("#6a3d9a", "#fdd835"), glyph="N"),
        DemoAchievement(
            name="Kahoot! Formative Checks",
            description="Runs Kahoot! games as quick formative checks and acts on what the results show.",
            criteria="Wrote a Kahoot! of at least ten questions tied to a lesson objective.\n"
                     "Reteached the two questions most students missed.",
            tags=("Kahoot", "formative assessment"), alignments=(iste("2.7"), iste("2.6")),
            colours=("#b23a48", "#ffffff"), glyph="K", evidence="optional"),
    ),
    held=(0, 1),
)

PINE_VALLEY = DemoDistrict(
    slug="issuer-b", name="Pine Valley School District", url="https://pinevalley.example.org",
    email="pd@pinevalley.example.org", admin_email="admin@pinevalley.example.org",
    reviewer_email="reviewer@pinevalley.example.org",
    achievements=(
        DemoAchievement(
            name="Seesaw Learning Journals",
            description="Keeps Seesaw journals in which students show their learning and families can follow it.",
            criteria="Students posted at least five journal entries each.\n"
                     "Shared entries with families using the school's consent settings.",
            tags=("Seesaw", "portfolio", "family engagement"), alignments=(iste("2.3"), iste("2.4")),
            colours=("#0b6e6e", "#ffe082"), glyph="S"),
        DemoAchievement(
            name="Canva Classroom Design",
            description="Designs accessible visual materials in Canva for Education with students and for them.",
            criteria="Made a class handout or slide set with alt text and readable contrast.\n"
                     "Ran one student design task in Canva for Education.",
            tags=("Canva", "design", "accessibility"), alignments=(iste("2.5"), iste("2.1")),
            colours=("#00838f", "#ffffff"), glyph="C"),
        DemoAchievement(
            name="Book Creator Student Authors",
            description="Guides students to write and publish their own digital books in Book Creator.",
            criteria="Each student published a book with text, images and recorded audio.\n"
                     "Taught the class how to credit the images they used.",
            tags=("Book Creator", "literacy", "digital citizenship"), alignments=(iste("2.3"), iste("2.6")),
            colours=("#8d4e2a", "#fff3e0"), glyph="B"),
    ),
    held=(0, 2),
)

DISTRICTS = (LAKESIDE, PINE_VALLEY)

TEACHER_EMAIL = "teacher@example.org"
TEACHER_NAME = "Jordan Rivera"


def badge_svg(achievement: DemoAchievement) -> bytes:
    """A 200x200 SVG badge: a ribbon, a rosette in the achievement's colours, and its glyph.

    Drawn as plain shapes (no script, no external reference), so it is safe to
    serve and to embed, and small (under 1 KiB).
    """
    background, accent = achievement.colours
    glyph = html.escape(achievement.glyph)
    title = html.escape(achievement.name)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" viewBox="0 0 200 200" '
        f'role="img" aria-label="{title}"><title>{title}</title>'
        f'<path d="M62 120 L40 190 L70 176 L84 198 L100 132 Z" fill="{accent}" stroke="{background}" stroke-width="4"/>'
        f'<path d="M138 120 L160 190 L130 176 L116 198 L100 132 Z" fill="{accent}" stroke="{background}" '
        'stroke-width="4"/>'
        f'<circle cx="100" cy="84" r="76" fill="{accent}"/>'
        f'<circle cx="100" cy="84" r="66" fill="{background}"/>'
        f'<circle cx="100" cy="84" r="54" fill="none" stroke="{accent}" stroke-width="3" stroke-dasharray="6 5"/>'
        f'<text x="100" y="106" font-family="sans-serif" font-weight="bold" font-size="64" fill="{accent}" '
        f'text-anchor="middle">{glyph}</text></svg>'
    ).encode()
