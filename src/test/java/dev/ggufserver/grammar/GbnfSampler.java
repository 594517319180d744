package dev.ggufserver.grammar;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Test-only generator: random strings of the grammar, taking the shortest ways out once deep enough. */
final class GbnfSampler {
    private static final int[] POOL = " azAZ09_-.:/\"\\é中😀\t".codePoints().toArray();
    private final Map<String, GbnfNode> rules;
    private final Map<String, Integer> shortest = new HashMap<>();
    private final Random random;

    GbnfSampler(String grammar, long seed) {
        rules = Gbnf.parse(grammar);
        random = new Random(seed);
        rules.keySet().forEach(k -> shortest.put(k, Integer.MAX_VALUE / 4));
        for (boolean changed = true; changed;) {
            changed = false;
            for (var e : rules.entrySet()) {
                int len = length(e.getValue());
                if (len < shortest.get(e.getKey())) {
                    shortest.put(e.getKey(), len);
                    changed = true;
                }
            }
        }
    }

    String sample(int maxDepth) {
        StringBuilder sb = new StringBuilder();
        emit(rules.get("root"), 0, maxDepth, sb);
        return sb.toString();
    }

    private int length(GbnfNode n) {
        if (n instanceof GbnfNode.Literal l) {
            return l.codePoints().length;
        } else if (n instanceof GbnfNode.CharClass || n instanceof GbnfNode.Any) {
            return 1;
        } else if (n instanceof GbnfNode.Ref r) {
            return shortest.get(r.name());
        } else if (n instanceof GbnfNode.Sequence s) {
            return (int) Math.min(Integer.MAX_VALUE / 4, s.items().stream().mapToLong(this::length).sum());
        } else if (n instanceof GbnfNode.Alternatives a) {
            return a.options().stream().mapToInt(this::length).min().orElse(0);
        }
        GbnfNode.Repeat r = (GbnfNode.Repeat) n;
        return (int) Math.min(Integer.MAX_VALUE / 4, (long) r.min() * length(r.item()));
    }

    private void emit(GbnfNode n, int depth, int maxDepth, StringBuilder sb) {
        boolean deep = depth > maxDepth;
        if (n instanceof GbnfNode.Literal l) {
            for (int c : l.codePoints()) {
                sb.appendCodePoint(c);
            }
        } else if (n instanceof GbnfNode.CharClass c) {
            sb.appendCodePoint(pick(c));
        } else if (n instanceof GbnfNode.Any) {
            sb.appendCodePoint('a' + random.nextInt(26));
        } else if (n instanceof GbnfNode.Ref r) {
            emit(rules.get(r.name()), depth + 1, maxDepth, sb);
        } else if (n instanceof GbnfNode.Sequence s) {
            s.items().forEach(i -> emit(i, depth, maxDepth, sb));
        } else if (n instanceof GbnfNode.Alternatives a) {
            List<GbnfNode> options = a.options();
            GbnfNode choice = options.get(random.nextInt(options.size()));
            if (deep) {
                for (GbnfNode o : options) {
                    choice = length(o) < length(choice) ? o : choice;
                }
            }
            emit(choice, depth, maxDepth, sb);
        } else if (n instanceof GbnfNode.Repeat r) {
            int extra = deep ? 0 : random.nextInt(4);
            int times = r.max() < 0 ? r.min() + extra : Math.min(r.max(), r.min() + extra);
            for (int i = 0; i < times; i++) {
                emit(r.item(), depth + 1, maxDepth, sb);
            }
        }
    }

    private int pick(GbnfNode.CharClass c) {
        if (!c.negated()) {
            int[] r = c.ranges().get(random.nextInt(c.ranges().size()));
            int span = Math.min(r[1] - r[0], 200);
            return r[0] + random.nextInt(span + 1);
        }
        for (int i = 0; i < 100; i++) {
            int cand = POOL[random.nextInt(POOL.length)];
            if (c.matches(cand)) {
                return cand;
            }
        }
        for (int cand = 0x21; ; cand++) {
            if (c.matches(cand)) {
                return cand;
            }
        }
    }
}
