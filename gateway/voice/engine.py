"""Walking the voice flow: one request of a live call in, the XML actions to run out.

Each request finds the caller where the last one left them (``VoiceCall.state``), applies what
they did (a key, a recording, or nothing before the wait ran out), and plays on until the flow
waits for them again or the call ends. A key that is no option, or none at all, replays the
question with a hint; the third time the call says goodbye.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from gateway.contacts.models import Contact
from gateway.i18n import Catalogs, catalogs
from gateway.settings import Settings
from gateway.voice.flow import Node, Option, VoiceFlow
from gateway.voice.registry import Item, VoiceHandlers
from gateway.voice.xml import Action, GetDigits, Prompt, Record, Redirect, Say

TRIES = 3  # wrong or missing answers to one question before the call says goodbye
MAX_STEPS = 50  # nodes walked in one request: more is a loop in the flow
WAIT_S = 10  # how long a question waits for a key
PLAYER_WAIT_S = 4  # after a chapter: this long, then the next one plays

# Speaks a prompt key in a language, with its values: recordings, or English text to speech.
Speaker = Callable[[str, str, Mapping[str, object]], list[Prompt]]


def say_text() -> Speaker:
    """A speaker with no recordings: each prompt's text in the caller's language, read by
    Africa's Talking's English voice (used until prompts are recorded)."""

    def speak(key: str, language: str, values: Mapping[str, object]) -> list[Prompt]:
        return [Say(catalogs().text(key, language, **values))]

    return speak


@dataclass
class Turn:
    """What the caller did since the last answer."""

    digits: str | None = None
    recording_url: str | None = None
    silent: bool = False  # the wait ran out with no key (our fallback redirect)


@dataclass
class CallContext:
    """One request of a call: who is calling, and what the call remembers between requests."""

    phone: str
    session_id: str
    call_id: int | None
    contact: Contact | None
    settings: Settings
    catalogs: Catalogs
    callback_url: str
    data: dict[str, Any] = field(default_factory=dict)
    node: str | None = None  # where the caller is waiting for an answer
    tries: int = 0
    ended: bool = False

    @property
    def language(self) -> str:
        chosen = self.data.get("language")
        if chosen:
            return str(chosen)
        if self.contact is not None and self.contact.language:
            return self.contact.language
        return self.settings.default_language

    def dump(self) -> str | None:
        if self.ended:
            return None
        return json.dumps({"node": self.node, "data": self.data, "tries": self.tries})

    def load(self, saved: str | None) -> None:
        if not saved:
            return
        state = json.loads(saved)
        self.node, self.data, self.tries = state["node"], state["data"], state["tries"]


class VoiceEngine:
    def __init__(self, flow: VoiceFlow, handlers: VoiceHandlers, speaker: Speaker) -> None:
        self.flow, self.handlers, self.speaker = flow, handlers, speaker

    def answer(self, ctx: CallContext, turn: Turn) -> list[Action]:
        """The actions for this request; ``ctx`` is left holding what to remember."""
        said: list[Action] = []
        if ctx.node is None:
            next_id: str | None = self.flow.start
        else:
            next_id = self._take(self.flow.nodes[ctx.node], ctx, turn, said)
        if next_id is None:  # tried too often: goodbye
            ctx.ended = True
            return said + self._speak(self.flow.goodbye, ctx)
        return said + self._walk(next_id, ctx)

    # -- what the caller did ---------------------------------------------------------------

    def _take(self, node: Node, ctx: CallContext, turn: Turn, said: list[Action]) -> str | None:
        """Apply the caller's answer at ``node``: where to go next (the node itself to ask
        again, with the hint already in ``said``), or None to say goodbye."""
        if node.kind == "player":
            return self._take_player(node, ctx, turn, said)
        if node.kind == "input":
            keyed = (turn.digits or "").strip().rstrip("#")
            if turn.silent or not keyed:
                return self._again(node, ctx, said)
            ctx.tries = 0
            self._run(node.action, ctx, keyed)  # the action keeps what it needs, never the keys
            return node.next
        if node.kind == "record":
            if turn.recording_url:
                ctx.tries = 0
                self._run(node.action, ctx, turn.recording_url)
                return node.next
            return self._again(node, ctx, said)
        option = self._option(node, ctx, turn)
        if option is None:
            return self._again(node, ctx, said)
        ctx.tries = 0
        if node.kind == "list":
            if option.value is not None and node.save:
                ctx.data[node.save] = option.value
        else:
            self._run(option.action, ctx, option.value)
        return option.next

    def _again(self, node: Node, ctx: CallContext, said: list[Action]) -> str | None:
        ctx.tries += 1
        if ctx.tries >= TRIES:
            return None
        said.extend(self._speak("voice.hint.again", ctx))
        return node.id

    def _option(self, node: Node, ctx: CallContext, turn: Turn) -> Option | None:
        if turn.silent or not turn.digits:
            return None
        key = turn.digits.strip().rstrip("#")[:1]
        return next((o for o in self._options(node, ctx) if o.key == key), None)

    def _options(self, node: Node, ctx: CallContext) -> list[Option]:
        if node.kind == "list":
            items = self._items(node, ctx)[:9]
            options = [
                Option(str(n), "", node.next or "", value=item.id)
                for n, item in enumerate(items, 1)
            ]
            if node.back:
                options.append(Option("0", "voice.back", node.back))
            return options
        return [o for o in node.options if o.when is None or self._holds(o.when, ctx)]

    def _take_player(
        self, node: Node, ctx: CallContext, turn: Turn, said: list[Action]
    ) -> str | None:
        items = self._items(node, ctx)
        index = int(ctx.data.get("item", 0))
        key = (turn.digits or "").strip()[:1]
        if ctx.data.pop("paused", False):
            if turn.silent or not key:
                ctx.data["paused"] = True
                return self._again(node, ctx, said)
            ctx.tries = 0
            return node.id  # any key: the chapter again from its start
        ctx.tries = 0
        if key == "0":
            ctx.data.pop("item", None)
            return node.back
        if key == "1":
            return node.id
        if key == "3":
            ctx.data["paused"] = True
            return node.id
        # "2", or the chapter ended with no key: the next one
        if index + 1 >= len(items):
            ctx.data.pop("item", None)
            if node.done:
                said.extend(self._speak(node.done, ctx))
            return node.back
        ctx.data["item"] = index + 1
        return node.id

    # -- playing on until the caller must answer ------------------------------------------

    def _walk(self, node_id: str, ctx: CallContext) -> list[Action]:
        actions: list[Action] = []
        current: str | None = node_id
        for _ in range(MAX_STEPS):
            node = self.flow.nodes[current or ""]
            if node.kind == "route":
                current = next(
                    (r.to for r in node.routes if r.when is None or self._holds(r.when, ctx)),
                    None,
                )
                if current is None:
                    raise ValueError(f"voice flow: no route of {node.id} holds")
            elif node.kind == "say":
                actions += self._speak(node.prompt or "", ctx) + self._sounds(node, ctx)
                current = node.next
            elif node.kind == "action":
                self._run(node.action, ctx, None)
                current = node.next
            elif node.kind == "end":
                ctx.ended = True
                return actions + self._speak(node.prompt or "", ctx)
            elif node.kind == "list" and node.empty and not self._items(node, ctx):
                actions += self._speak(node.empty, ctx)
                ctx.tries = 0  # a new question: its own three tries
                current = node.back
            else:
                ctx.node = node.id
                return actions + self._ask(node, ctx)
        raise ValueError(f"voice flow: more than {MAX_STEPS} steps from {node_id}")

    def _ask(self, node: Node, ctx: CallContext) -> list[Action]:
        """The question at ``node``, waiting for a key (or a recording), then our fallback: a
        redirect to ourselves, so a caller who presses nothing is asked again."""
        silent = _with_query(ctx.callback_url, silent="1")
        if node.kind == "record":
            max_s = node.max_s or ctx.settings.voice_record_max_s
            prompts = self._speak(node.prompt or "", ctx) + self._sounds(node, ctx)
            return [Record(prompts, ctx.callback_url, max_s), Redirect(silent)]
        if node.kind == "input":
            prompts = self._speak(node.prompt or "", ctx) + self._sounds(node, ctx)
            keys = GetDigits(prompts, ctx.callback_url, node.digits or 1, WAIT_S)
            return [keys, Redirect(silent)]
        if node.kind == "player":
            return [self._play_item(node, ctx), Redirect(silent)]
        prompts = []
        if node.about:
            for about in self.handlers.sources[node.about](ctx):
                prompts += self._speak_item(about, ctx)
        prompts += self._speak(node.prompt, ctx) if node.prompt else []
        prompts += self._sounds(node, ctx)
        items = self._items(node, ctx) if node.kind == "list" else []
        for option in self._options(node, ctx):
            if node.kind == "list" and option.key != "0":
                item = items[int(option.key) - 1]
                prompts += self._speak_item(item, ctx)
                press = node.press or "voice.list.press"
                prompts += self.speaker(press, ctx.language, {**item.values, "key": option.key})
            else:
                language = option.language or ctx.language
                prompts += self.speaker(option.prompt, language, {"key": option.key})
        return [GetDigits(prompts, ctx.callback_url, timeout_s=WAIT_S), Redirect(silent)]

    def _play_item(self, node: Node, ctx: CallContext) -> Action:
        if ctx.data.get("paused"):
            return GetDigits(self._speak("voice.player.paused", ctx), ctx.callback_url, 1, 30)
        items = self._items(node, ctx)
        index = min(int(ctx.data.get("item", 0)), max(len(items) - 1, 0))
        ctx.data["item"] = index
        prompts = self._speak_item(items[index], ctx) if items else []
        prompts += self._speak(node.prompt or "", ctx)
        return GetDigits(prompts, ctx.callback_url, timeout_s=PLAYER_WAIT_S)

    # -- handlers --------------------------------------------------------------------------

    def _speak(self, prompt: str, ctx: CallContext, **values: object) -> list[Prompt]:
        return self.speaker(prompt, ctx.language, values)

    def _speak_item(self, item: Item, ctx: CallContext) -> list[Prompt]:
        spoken: list[Prompt] = []
        for key in item.prompts:
            spoken += self.speaker(key, ctx.language, item.values)
        return spoken

    def _sounds(self, node: Node, ctx: CallContext) -> list[Prompt]:
        if not node.sounds:
            return []
        played: list[Prompt] = []
        for sound in self.handlers.sounds[node.sounds](ctx):
            played += self._speak(sound, ctx) if isinstance(sound, str) else [sound]
        return played

    def _holds(self, name: str, ctx: CallContext) -> bool:
        return self.handlers.conditions[name](ctx)

    def _run(self, name: str | None, ctx: CallContext, value: str | None) -> None:
        if name:
            self.handlers.actions[name](ctx, value)

    def _items(self, node: Node, ctx: CallContext) -> list[Item]:
        return self.handlers.sources[node.source or ""](ctx)

    def check(self) -> list[str]:
        """The handler names the flow uses that no area registered."""
        missing = []
        conditions, actions, sources, sounds = (
            set(self.handlers.conditions),
            set(self.handlers.actions),
            set(self.handlers.sources),
            set(self.handlers.sounds),
        )
        for node in self.flow.nodes.values():
            named: list[tuple[str | None, set[str]]] = [(r.when, conditions) for r in node.routes]
            named += [(o.when, conditions) for o in node.options]
            named += [(o.action, actions) for o in node.options]
            named += [(node.action, actions), (node.source, sources), (node.about, sources)]
            named += [(node.sounds, sounds)]
            missing += [f"{node.id}: {n}" for n, known in named if n and n not in known]
        return missing


def _with_query(url: str, **params: str) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)
