"""Stance coding from a codebook: who judges a target how, with the evidence that decided it.

The method is the content analyst's, made explicit: a codebook (TOML, in
``toolkit/data/codebooks/``) says how to recognise text about a target and which cue words count
for and against it; every call carries its evidence, and a hand-coding sheet measures agreement
with human coders (Cohen's kappa). No model downloads, every decision traceable.

Two coders share the table: a codebook with a trained model beside it (``NAME.model.npz``, see
``toolkit.stance.model``; trained by ``toolkit.stance.train`` from coded sheets) is coded by the
model, with per-label probabilities, a confidence, ``needs_coding`` under its threshold and the
most similar coded units as evidence; a codebook without one by the lexicon rules below. Modules:
``phrases`` (tokens, phrase matching, sentences), ``codebook``, ``coder`` (the lexicon coder),
``units`` (a corpus's units and the stance table), ``embed`` (sentence embeddings), ``model``
(features and the trained head), ``train``, ``sheets`` (hand-coding sheets) and ``agreement``.

Codebook schema (every table and key; unknown ones are an error so typos do not pass silently)::

    [target]      name (str, required), label (str), description (str)
    [relevance]   actor (list of phrases, required), topic (list of phrases, required),
                  actor_entities (list of canonical entity names that count as an actor mention),
                  not_actor (list of phrases in which an actor word is not the actor: "Chinese
                  exports", "Beijing Olympics"),
                  other_actors (list of phrases naming other parties whose own version of the
                  topic is off target: "India" in "India called for a ceasefire"),
                  rule = "unit" | "unit+context" (default "unit+context"),
                  context_sentences (int, default 2: how many sentences before the unit)
    [scoring]     threshold (0.5), negation_window (4), reversal_window (8), hedge_window (10),
                  gap (3)
    [favor]       "phrase" = weight      cues presenting the target favourably (required)
    [against]     "phrase" = weight      cues presenting it unfavourably (required)
    [hedges]      "phrase" = factor      0 < factor <= 1, scales cues after it in the clause
    [aspirations] "phrase" = factor      like hedges, but scale only cues that end up favourable
    [reversers]   "phrase" = weight      deny / contradict / doubt ...: flip the next cue; one
                                         with a weight flips the cue before it when nothing
                                         follows, else counts as a cue of that weight
    [lists]       negators = [...], affirmers = [...]

A *phrase* is a sequence of words matched case-insensitively on word tokens ("doesn't" is
``does`` + ``n't``, "China's" is ``china`` + ``'s``); ``word*`` matches any word beginning with
``word``; a ``...`` word skips 0 to ``gap`` words; quotation marks are not words. Where phrases
overlap, the longest wins ("help Russia" is an against cue, "help" alone a favor cue).

About the target (rule "unit"): an actor term and a topic term both occur in the unit. An actor
word inside a ``not_actor`` phrase does not count ("Chinese exports"). Rule "unit+context" also
accepts, with the context = the ``context_sentences`` sentences before the unit (for a quote,
also the sentence it sits in):

- a topic term in the unit and an actor by reference: a short form of a multi-word actor named
  in the context ("Hua" after "Hua Chunying"), or a unit opening with a pronoun ("He may try to
  end the war") right after a sentence naming an actor;
- a topic term in the unit, an actor in the sentence before, and a word in the unit that can
  point back to it (its, he, his, we, non-expletive "it", "the country", "the plan" ...): "It is
  not in their interest to take sides" after a sentence naming Beijing is about somebody else;
- an actor term in the unit and a context sentence that is itself about the target (actor and
  topic): the paragraph is still discussing the target. Such a unit counts only when it takes a
  side (a cue decides it): a unit that names neither the topic nor judges it is not part of the
  argument ("Xi also discussed trade" after a sentence on mediation).

A topic word written as part of a name is not a topic ("Carnegie Endowment for International
Peace"): every matched word capitalised and not the first word of the unit. A topic word owned by
another party is not the actor's (other parties' mediation or neutrality is off target): one
right after another named party's possessive ("Russia's envoy to Beijing"); one whose clause
names an ``other_actors`` party and no actor; or, when its clause names no party, one nearest to
an ``other_actors`` party ("despite its insistence on neutrality, South Africa hosted ... China").
A comparison shares the predicate ("Like China, Belarus is ready to mediate" counts).

Scoring, the rules in order (all general, none keyed to a sentence):

1. *Double negation is affirmation.* A negator followed within ``negation_window`` words (same
   clause) by another negator or by a reverser cancels it and is used up: "hardly contradicts
   the narrative that Beijing endorses Moscow" keeps "endorses Moscow" as an against cue;
   "not without merit" is not negated. Affirmers ("no doubt", "nothing more than") are not
   negators. Coordinated negators ("has not and will not profit") are one negation, said twice.
2. *Negation flips.* A cue is flipped once for every active negator within ``negation_window``
   words before it, and once if any active reverser is within ``reversal_window`` words before
   it (stacked reversers do not cancel: "doubts about its supposed neutrality" stays against),
   with no clause boundary (, ; : . ! ? — ( ) but while although though whereas) in between:
   "doesn't help" is against, "doubts about China's neutrality" is against.
3. *A judging reverser looks back* when nothing follows it to flip: "its neutrality is in
   doubt", "China's credibility has been undermined" flip the nearest favor cue before them in
   the same clause; otherwise it counts as a cue of its own weight ("doubts over the plan", "its
   claimed neutrality has been questioned" = two against cues).
4. *Hedges scale down* every cue within ``hedge_window`` words after them (sentence part, not
   crossing ; . ! ? or "but"): "may", "reportedly"; and aspiration words, because an intention is
   weak evidence of the deed ("China's intention of playing an active role"). Aspiration words
   and demands ("seeks to", "portrays itself as", "pressing China to") scale only cues that end
   up favourable: an intention or a request is not an achievement, while imputing a bad
   intention ("seeking to exploit the crisis") or doubting a claim ("its claimed neutrality has
   been questioned") is already the judgement. Hedges and aspirations may overlap a cue
   ("pressing Putin to talk": the cue "pressing Putin" stands).
5. *The main clause decides.* Cues in a leading concessive clause ("Though the document made no
   criticism of Russia, ...") or before a contrastive "but" count half (``SUBORDINATE_FACTOR``)
   when the main clause has cues of its own; alone they count in full.
6. *Reported self-praise is a claim* (narration only): a favor cue in the same sentence part as
   a reporting verb whose speaker is an actor ("China said it was impartial", "..., said Wang
   Wenbin") is scaled by ``SELF_REPORT_FACTOR``: the narrator reports the actor's words, it does
   not judge (rule 1 of the hand coding). A quote is its speaker's own voice and is not scaled;
   a third party's judgement ("analysts said China is a credible broker") is not scaled; an
   against cue in the actor's own words ("Hua blamed the crisis on NATO") stands.
7. score = sum of sign x weight x factors; favor if score >= threshold, against if
   score <= -threshold, else neutral (also when no cue at all).

>>> cb = load_codebook("china_mediation")
>>> call = code_text("The visit doesn't help China's bid to mediate.", codebook=cb)
>>> (call.relevant, call.stance, call.evidence)
(True, 'against', 'NOT help')
>>> code_text("Beijing is a credible mediator.", codebook=cb).stance
'favor'
>>> code_text("Beijing hosted the Belarusian leader.", codebook=cb).relevant
False
"""

from __future__ import annotations

# the evaluation on the project's own labels lives in toolkit.evaluate.stance; re-exported here
# so ``from toolkit.stance import evaluate_stance`` keeps working
from ..evaluate.stance import evaluate_stance, label_agreement, score_spans, sha1  # noqa: E402
from .agreement import cohen_kappa, stance_agreement
from .codebook import LABELS, Codebook, StanceLabel, load_codebook
from .coder import StanceCall, code_text
from .model import model_card
from .phrases import split_sentences
from .sheets import SHEET_COLUMNS, apply_human, export_for_coding, stance_sheet, write_sheet
from .units import (
    STANCE_COLUMNS,
    _frame_sentences,  # noqa: F401 - tests import it from here
    candidate_units,
    stance,
    stance_by,
)

__all__ = [
    "LABELS",
    "SHEET_COLUMNS",
    "STANCE_COLUMNS",
    "Codebook",
    "StanceCall",
    "StanceLabel",
    "apply_human",
    "candidate_units",
    "cohen_kappa",
    "code_text",
    "evaluate_stance",
    "export_for_coding",
    "load_codebook",
    "model_card",
    "label_agreement",
    "score_spans",
    "sha1",
    "split_sentences",
    "stance",
    "stance_agreement",
    "stance_by",
    "stance_sheet",
    "write_sheet",
]
