package dev.ggufserver.grammar;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/** Test-only recognizer: does the grammar's root derive the whole string? Memoized end-position sets over the AST. */
final class GbnfMatcher {
    private final Map<String, GbnfNode> rules;
    private int[] input;
    private final Map<Long, TreeSet<Integer>> memo = new HashMap<>();
    private final Map<String, Integer> ids = new HashMap<>();

    GbnfMatcher(String grammar) {
        this.rules = Gbnf.parse(grammar);
        rules.keySet().forEach(k -> ids.put(k, ids.size()));
    }

    boolean matches(String s) {
        input = s.codePoints().toArray();
        memo.clear();
        return ends(rules.get("root"), 0).contains(input.length);
    }

    private TreeSet<Integer> ends(GbnfNode n, int pos) {
        TreeSet<Integer> out = new TreeSet<>();
        if (n instanceof GbnfNode.Literal l) {
            int[] cps = l.codePoints();
            if (pos + cps.length <= input.length) {
                for (int i = 0; i < cps.length; i++) {
                    if (input[pos + i] != cps[i]) {
                        return out;
                    }
                }
                out.add(pos + cps.length);
            }
        } else if (n instanceof GbnfNode.CharClass c) {
            if (pos < input.length && c.matches(input[pos])) {
                out.add(pos + 1);
            }
        } else if (n instanceof GbnfNode.Any) {
            if (pos < input.length) {
                out.add(pos + 1);
            }
        } else if (n instanceof GbnfNode.Ref r) {
            long key = ((long) ids.get(r.name()) << 32) | pos;
            TreeSet<Integer> m = memo.get(key);
            if (m == null) {
                m = ends(rules.get(r.name()), pos);
                memo.put(key, m);
            }
            return m;
        } else if (n instanceof GbnfNode.Sequence s) {
            out.add(pos);
            for (GbnfNode item : s.items()) {
                TreeSet<Integer> next = new TreeSet<>();
                for (int p : out) {
                    next.addAll(ends(item, p));
                }
                out = next;
                if (out.isEmpty()) {
                    break;
                }
            }
        } else if (n instanceof GbnfNode.Alternatives a) {
            for (GbnfNode o : a.options()) {
                out.addAll(ends(o, pos));
            }
        } else if (n instanceof GbnfNode.Repeat r) {
            TreeSet<Integer> current = new TreeSet<>();
            current.add(pos);
            TreeSet<Integer> seen = new TreeSet<>();
            if (r.min() == 0) {
                out.add(pos);
            }
            for (int k = 1; (r.max() < 0 || k <= r.max()) && !current.isEmpty(); k++) {
                TreeSet<Integer> next = new TreeSet<>();
                for (int p : current) {
                    next.addAll(ends(r.item(), p));
                }
                if (k >= r.min()) {
                    out.addAll(next);
                    next.removeAll(seen);
                    seen.addAll(next);
                }
                current = next;
            }
        }
        return out;
    }
}
