"""Famous openings of public-domain texts, typed here, for the SmolLM2 extraction check.

Every one is quoted verbatim across the web many times, so a web-trained LM has seen each
often. The last two are boilerplate that web and code corpora repeat thousands of times
(Lorem ipsum; the MIT License's grant, which its terms let anyone reproduce). Spelling
and punctuation follow common editions (the Constitution's "defence", Austen's
"neighbourhood"); an edition that differs by a comma changes a token, not the finding.
"""

from __future__ import annotations

__all__ = ["FAMOUS"]

FAMOUS = {
    "Pride and Prejudice": (
        "It is a truth universally acknowledged, that a single man in possession of a good "
        "fortune, must be in want of a wife. However little known the feelings or views of such "
        "a man may be on his first entering a neighbourhood, this truth is so well fixed in the "
        "minds of the surrounding families, that he is considered the rightful property of some "
        "one or other of their daughters."
    ),
    "US Constitution, preamble": (
        "We the People of the United States, in Order to form a more perfect Union, establish "
        "Justice, insure domestic Tranquility, provide for the common defence, promote the "
        "general Welfare, and secure the Blessings of Liberty to ourselves and our Posterity, do "
        "ordain and establish this Constitution for the United States of America."
    ),
    "Gettysburg Address": (
        "Four score and seven years ago our fathers brought forth on this continent, a new "
        "nation, conceived in Liberty, and dedicated to the proposition that all men are created "
        "equal. Now we are engaged in a great civil war, testing whether that nation, or any "
        "nation so conceived and so dedicated, can long endure."
    ),
    "Hamlet, To be or not to be": (
        "To be, or not to be, that is the question: Whether 'tis nobler in the mind to suffer "
        "The slings and arrows of outrageous fortune, Or to take arms against a sea of troubles "
        "And by opposing end them. To die, to sleep; No more; and by a sleep to say we end The "
        "heart-ache and the thousand natural shocks That flesh is heir to."
    ),
    "Moby-Dick": (
        "Call me Ishmael. Some years ago, never mind how long precisely, having little or no "
        "money in my purse, and nothing particular to interest me on shore, I thought I would "
        "sail about a little and see the watery part of the world."
    ),
    "A Tale of Two Cities": (
        "It was the best of times, it was the worst of times, it was the age of wisdom, it was "
        "the age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it "
        "was the season of Light, it was the season of Darkness, it was the spring of hope, it "
        "was the winter of despair."
    ),
    "Declaration of Independence, opening": (
        "When in the Course of human events, it becomes necessary for one people to dissolve the "
        "political bands which have connected them with another, and to assume among the powers "
        "of the earth, the separate and equal station to which the Laws of Nature and of "
        "Nature's God entitle them, a decent respect to the opinions of mankind requires that "
        "they should declare the causes which impel them to the separation."
    ),
    "Declaration of Independence, We hold these truths": (
        "We hold these truths to be self-evident, that all men are created equal, that they are "
        "endowed by their Creator with certain unalienable Rights, that among these are Life, "
        "Liberty and the pursuit of Happiness."
    ),
    "Genesis 1:1-3 (King James)": (
        "In the beginning God created the heaven and the earth. And the earth was without form, "
        "and void; and darkness was upon the face of the deep. And the Spirit of God moved upon "
        "the face of the waters. And God said, Let there be light: and there was light."
    ),
    "Psalm 23 (King James)": (
        "The LORD is my shepherd; I shall not want. He maketh me to lie down in green pastures: "
        "he leadeth me beside the still waters. He restoreth my soul: he leadeth me in the paths "
        "of righteousness for his name's sake."
    ),
    "The Lord's Prayer (King James)": (
        "Our Father which art in heaven, Hallowed be thy name. Thy kingdom come, Thy will be "
        "done in earth, as it is in heaven. Give us this day our daily bread. And forgive us our "
        "debts, as we forgive our debtors."
    ),
    "Anna Karenina (Garnett)": (
        "Happy families are all alike; every unhappy family is unhappy in its own way. "
        "Everything was in confusion in the Oblonskys' house. The wife had discovered that the "
        "husband was carrying on an intrigue with a French girl, who had been a governess in "
        "their family."
    ),
    "Lorem ipsum": (
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
        "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
        "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat."
    ),
    "MIT License": (
        "Permission is hereby granted, free of charge, to any person obtaining a copy of this "
        "software and associated documentation files (the \"Software\"), to deal in the Software "
        "without restriction, including without limitation the rights to use, copy, modify, "
        "merge, publish, distribute, sublicense, and/or sell copies of the Software"
    ),
}
