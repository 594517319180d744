package dev.ggufserver.reasoning;

import java.util.EnumMap;
import java.util.Map;

/**
 * The server's thinking budgets: one per {@link ReasoningEffort}, the default for a request that asks for none,
 * and the message written before the close tag of a thought cut at its budget.
 *
 * @param byEffort      tokens for each effort but {@code none} (0) and {@code max} (unlimited)
 * @param defaultTokens a request's budget when it names neither an effort nor a budget; -1 unlimited
 * @param message       text before the close tag of a cut thought; empty for none
 */
public record ThinkingBudgets(Map<ReasoningEffort, Integer> byEffort, int defaultTokens, String message) {
    /** The defaults: roughly a paragraph, a page, a few pages, a chapter; beyond that, unlimited. */
    public static final ThinkingBudgets DEFAULTS = new ThinkingBudgets(Map.of(ReasoningEffort.MINIMAL, 256,
            ReasoningEffort.LOW, 1024, ReasoningEffort.MEDIUM, 4096, ReasoningEffort.HIGH, 16384,
            ReasoningEffort.XHIGH, 32768), ThinkingBudget.UNLIMITED, "");

    public ThinkingBudgets {
        EnumMap<ReasoningEffort, Integer> copy = new EnumMap<>(ReasoningEffort.class);
        copy.putAll(byEffort);
        copy.put(ReasoningEffort.NONE, 0);
        copy.put(ReasoningEffort.MAX, ThinkingBudget.UNLIMITED);
        for (Map.Entry<ReasoningEffort, Integer> e : copy.entrySet()) {
            if (e.getValue() == null || e.getValue() < ThinkingBudget.UNLIMITED) {
                throw new IllegalArgumentException("the budget for " + e.getKey().wireName() + " must be -1 or more");
            }
        }
        if (copy.size() != ReasoningEffort.values().length) {
            throw new IllegalArgumentException("every reasoning effort needs a budget");
        }
        byEffort = Map.copyOf(copy);
        if (defaultTokens < ThinkingBudget.UNLIMITED) {
            throw new IllegalArgumentException("the default budget must be -1 or more");
        }
        message = message == null ? "" : message;
    }

    public int tokensFor(ReasoningEffort effort) {
        return byEffort.get(effort);
    }

    /** The same budgets, but {@code effort} gets {@code tokens}. */
    public ThinkingBudgets with(ReasoningEffort effort, int tokens) {
        EnumMap<ReasoningEffort, Integer> copy = new EnumMap<>(byEffort);
        copy.put(effort, tokens);
        return new ThinkingBudgets(copy, defaultTokens, message);
    }

    public ThinkingBudgets withDefault(int tokens) {
        return new ThinkingBudgets(byEffort, tokens, message);
    }

    public ThinkingBudgets withMessage(String text) {
        return new ThinkingBudgets(byEffort, defaultTokens, text);
    }

    /** A request's budget of {@code tokens} with this server's closing text. */
    public ThinkingBudget budget(int tokens) {
        return new ThinkingBudget(tokens, ThinkingBudget.closingWith(message));
    }
}
