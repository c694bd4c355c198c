"""The plugin hooks, each exercised through a real plugin, and how plugin mistakes surface.

Every hookspec has a `test_hook_<name>` here (tests/test_plugin_docs.py checks it).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import metadata
from typing import Literal

import pytest
from click.testing import CliRunner

from plugins import broken
from plugins.faulty import Faulty
from plugins.gift_shop import GiftShop
from plugins.harness import engine_for, event, registry_with
from rules_engine.cli import main
from rules_engine.dsl.compiler import compile_source
from rules_engine.plugins.catalog import catalog, catalog_text, type_name
from rules_engine.plugins.delivery import deliver
from rules_engine.plugins.manager import PluginError, build_registry, plugin_manager

EARN = "earn 1 point per 1000\n"


# --- one test per hook ------------------------------------------------------------------------------


def test_hook_loyalty_reward_types() -> None:
    engine = engine_for(EARN + 'reward card "Card" costs 50 points gives gift_card(amount: 100k, design: "nowruz")',
                        GiftShop())
    engine.process(event("p-1", "purchase", amount=100_000))
    outcome = engine.process(event("x-1", "redeem", 1, reward="card"))
    assert outcome.status == "applied"
    (effect,) = outcome.effects
    assert (effect.kind, effect.plugin) == ("gift_card", "GiftShop")
    assert dict(effect.data) == {"amount": Decimal(100_000), "design": "nowruz", "for": "card"}
    assert [e.points for e in outcome.entries] == [-50]


def test_hook_loyalty_partner_offers() -> None:
    engine = engine_for(EARN + 'offer "teahouse:free-tea" costs 30 points', GiftShop(blocked=frozenset({"m-2"})))
    engine.process(event("p-1", "purchase", amount=100_000))
    engine.process(event("p-2", "purchase", member="m-2", amount=100_000))
    claimed = engine.process(event("c-1", "claim", 1, offer="teahouse:free-tea"))
    declined = engine.process(event("c-2", "claim", 1, member="m-2", offer="teahouse:free-tea"))
    (effect,) = claimed.effects
    assert effect.plugin == "GiftShop" and effect.data["code"].startswith("TEA-")
    assert [e.points for e in claimed.entries] == [-30]
    assert (declined.status, declined.reason) == ("rejected", "not_eligible: the partner teahouse declined")
    assert declined.entries == ()


def test_hook_loyalty_functions() -> None:
    engine = engine_for(EARN + "bonus 2x when is_weekend(date)", GiftShop())
    sunday = engine.process(event("p-1", "purchase", 0, amount=10_000))
    friday = engine.process(event("p-2", "purchase", 5, amount=10_000))
    assert [e.points for e in sunday.entries] == [10]
    assert [e.points for e in friday.entries] == [20]


def test_hook_loyalty_effect_sinks() -> None:
    shop = GiftShop()
    registry = registry_with(shop, Faulty())
    engine = engine_for(EARN, shop)
    outcomes = [engine.process(event("p-1", "purchase", amount=10_000)),
                engine.process(event("p-2", "purchase", 1, amount=20_000))]
    failures = deliver(outcomes, registry.sinks.values())
    assert shop.received == outcomes
    assert [str(f) for f in failures] == [
        "effect sink gateway of plugin Faulty failed: ConnectionError('SMS gateway refused the connection')"]


# --- compile time: what a plugin declares is checked where the rulebook uses it --------------------------------


def diagnostics_of(text: str, *plugins: object) -> list[tuple[int, int, str]]:
    program, found = compile_source(text, "test.rules", registry_with(*plugins))
    assert program is None
    return [(d.line, d.column, d.message) for d in found]


def test_a_bad_argument_of_a_plugin_reward_type_is_a_diagnostic_at_the_argument() -> None:
    ((line, column, message),) = diagnostics_of('reward card "Card" costs 5 points gives gift_card(amount: 0)',
                                                GiftShop())
    assert (line, column) == (1, 51)
    assert message.startswith("`gift_card`: ") and "amount" in message


def test_a_plugin_function_called_with_the_wrong_type_is_a_diagnostic() -> None:
    assert diagnostics_of("bonus 2x when is_weekend(1)", GiftShop()) == [
        (1, 26, "`is_weekend` expects a date here, but this is a number")]


def test_an_offer_of_a_plugin_that_is_not_registered_does_not_compile() -> None:
    assert diagnostics_of('offer "teahouse:free-tea"') == [
        (1, 7, 'no installed partner plugin provides the offer "teahouse:free-tea"')]


# --- loading: every mistake names the plugin -----------------------------------------------------------------


@pytest.mark.parametrize(("plugin", "message"), [
    (broken.RaisesInHook, "plugin RaisesInHook failed in loyalty_reward_types: KeyError('catalogue')"),
    (broken.AnswersNotAList, "plugin AnswersNotAList: loyalty_reward_types must return a list of RewardType, not RewardType"),
    (broken.ForgetsToReturn, "plugin ForgetsToReturn: loyalty_reward_types returned None; is its `return` missing? "
                             "Return a list of RewardType (an empty one when there is nothing to provide)"),
    (broken.FunctionTakesTwo, "plugin FunctionTakesTwo: loyalty_functions: function `near`: impl is called as "
                              "impl(string), but it cannot be: missing a required argument: 'city'"),
    (broken.AnswersWrongItems, "plugin AnswersWrongItems: loyalty_functions returned str 'is_holiday', not a DslFunction"),
    (broken.MisspelledHook, "plugin MisspelledHook implements loyalty_reward_type, which is not a hook of the engine; "
                            "did you mean loyalty_reward_types?"),
    (broken.SecondProduct, "`product` is provided by both plugin builtin.rewards and plugin SecondProduct; "
                           "uninstall one of them"),
    (broken.UnknownValueType, "plugin UnknownValueType: loyalty_functions: function `double`: unknown value type(s) "
                              "'money'; use number, string, bool, date, weekday, tier, any"),
    (broken.BadOfferName, "plugin BadOfferName: loyalty_partner_offers: offer 'fit land:gym 20': partner and offer "
                          "must be like \"fitland:gym-20\" (no spaces or colons)"),
], ids=lambda value: value.__name__ if isinstance(value, type) else "")
def test_a_plugin_that_answers_a_hook_badly_is_an_error_naming_it(plugin: type, message: str) -> None:
    with pytest.raises(PluginError) as caught:
        build_registry(plugin_manager(extra=[plugin()], entry_points=False))
    assert str(caught.value) == message


def test_an_installed_plugin_that_fails_to_import_is_an_error_naming_its_entry_point(monkeypatch) -> None:
    missing = metadata.EntryPoint(name="ghost", value="loyalty_ghost_not_installed", group="loyalty")
    monkeypatch.setattr(metadata, "entry_points", lambda group: [missing] if group == "loyalty" else [])
    with pytest.raises(PluginError, match=r"^plugin ghost \(from loyalty_ghost_not_installed\) could not be loaded: "
                                          r"ModuleNotFoundError\(.*\); fix or uninstall the package$"):
        plugin_manager()


def test_a_plugin_with_a_hook_signature_the_spec_does_not_have_is_an_error_naming_it() -> None:
    with pytest.raises(PluginError, match=r"(?s)^plugin AsksForArguments: .*registry"):
        plugin_manager(extra=[broken.AsksForArguments()], entry_points=False)


def test_every_contribution_is_stamped_with_the_plugin_that_registered_it() -> None:
    registry = registry_with(GiftShop())
    assert registry.reward_types["coupon"].plugin == "builtin.rewards"
    assert registry.functions["is_holiday"].plugin == "builtin.functions"
    assert registry.offers["teahouse:free-tea"].plugin == "GiftShop"
    assert registry.sinks["keeper"].plugin == "GiftShop"


# --- `loyalty plugins` ------------------------------------------------------------------------------------


def test_loyalty_plugins_lists_reward_types_with_their_parameters(monkeypatch) -> None:
    monkeypatch.delenv("LOYALTY_OUTBOX", raising=False)
    result = CliRunner().invoke(main, ["plugins", "--format", "json"])
    assert result.exit_code == 0, result.output
    rewards = next(p for p in json.loads(result.stdout) if p["name"] == "builtin.rewards")
    discount = next(r for r in rewards["reward_types"] if r["name"] == "discount")
    assert [(p["name"], p["type"], p["required"], p["default"]) for p in discount["params"]] == [
        ("percent", "number", False, None), ("amount", "number", False, None), ("max", "number", False, None)]
    product = next(r for r in rewards["reward_types"] if r["name"] == "product")
    assert [(p["name"], p["type"], p["required"], p["default"]) for p in product["params"]] == [
        ("sku", "string", True, None), ("qty", "int", False, 1)]


def test_loyalty_plugins_in_text_shows_signatures_and_configured_sinks(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("LOYALTY_OUTBOX", str(tmp_path / "outbox.jsonl"))
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 0, result.output
    assert "  function     is_holiday(date) -> bool\n" in result.stdout
    assert "  reward type  product(sku: string, qty: int = 1)\n" in result.stdout
    assert f"  sink         outbox: Persian SMS texts appended to {tmp_path / 'outbox.jsonl'}" in result.stdout


def test_loyalty_plugins_reports_a_broken_plugin_by_name_and_exits_1(monkeypatch) -> None:
    missing = metadata.EntryPoint(name="ghost", value="loyalty_ghost_not_installed", group="loyalty")
    monkeypatch.setattr(metadata, "entry_points", lambda group: [missing] if group == "loyalty" else [])
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 1
    assert "plugin ghost" in result.stderr and result.stdout == ""


def test_a_plugin_registered_in_code_is_listed_with_everything_it_provides() -> None:
    pm = plugin_manager(extra=[GiftShop()], entry_points=False)
    listing = catalog_text(catalog(pm, build_registry(pm)))
    shop = listing[listing.index("GiftShop"):].splitlines()
    assert shop == [
        "GiftShop  (registered in code)",
        "  reward type  gift_card(amount: number, design: string = \"classic\")",
        "               a gift card: gift_card(amount: 100k)",
        '  offer        "teahouse:free-tea"  a free tea',
        "  function     is_weekend(date) -> bool",
        "               true on Fridays, the Iranian weekend",
        "  sink         keeper: keeps every outcome in memory",
    ]


@pytest.mark.parametrize(("annotation", "name"), [
    (int, "int"), (Decimal | None, "number"), (str, "string"), (list[str], "list[string]"),
    (Literal["gold", "silver"], "'gold' or 'silver'"), (date, "date"),
])
def test_parameter_types_are_named_in_the_rulebooks_words(annotation: object, name: str) -> None:
    assert type_name(annotation) == name


def test_two_installed_packages_with_the_same_plugin_name_are_an_error(monkeypatch) -> None:
    twins = [metadata.EntryPoint(name="twin", value=value, group="loyalty")
             for value in ("plugins.gift_shop", "plugins.faulty")]
    monkeypatch.setattr(metadata, "entry_points", lambda group: twins if group == "loyalty" else [])
    with pytest.raises(PluginError, match="^plugin twin is registered twice"):
        plugin_manager()


def test_one_installed_package_seen_twice_on_the_path_is_loaded_once(monkeypatch) -> None:
    twice = [metadata.EntryPoint(name="shop", value="plugins.gift_shop", group="loyalty")] * 2
    monkeypatch.setattr(metadata, "entry_points", lambda group: twice if group == "loyalty" else [])
    assert [name for name, _ in plugin_manager().list_name_plugin()].count("shop") == 1
