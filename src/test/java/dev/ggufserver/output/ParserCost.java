package dev.ggufserver.output;

import dev.ggufserver.reasoning.ThinkSplitter;
import java.util.ArrayList;
import java.util.List;

/**
 * What reading an answer costs per token, for each tool-call family: a 300-token thought, a 600-token answer that
 * mentions markers' first characters now and then, and one call, fed in 4-character pieces (about a token each)
 * through the think splitter and the family's parser. Run with
 * {@code mvn dependency:build-classpath -Dmdep.outputFile=cp.txt}, then
 * {@code java -cp target/test-classes:target/classes:$(cat cp.txt) dev.ggufserver.output.ParserCost}.
 */
public final class ParserCost {
    private ParserCost() {
    }

    public static void main(String[] args) {
        StringBuilder thought = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            thought.append(i % 9 == 0 ? " <t" : " word");
        }
        StringBuilder answer = new StringBuilder();
        for (int i = 0; i < 600; i++) {
            answer.append(i % 11 == 0 ? " [T{" : i % 13 == 0 ? " <tool" : " text");
        }
        String call = "{\"city\": \"Paris\", \"days\": 3, \"note\": \"" + "x".repeat(80) + "\"}";
        for (ToolCallFormat format : ToolCallFormat.values()) {
            String calls = switch (format) {
                case DEEPSEEK_R1 -> "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n" + call
                        + "\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
                case HERMES -> "<tool_call>\n{\"name\": \"f\", \"arguments\": " + call + "}\n</tool_call>";
                case LLAMA3_JSON -> "<|python_tag|>{\"name\": \"f\", \"parameters\": " + call + "}";
                case MISTRAL -> "[TOOL_CALLS][{\"name\": \"f\", \"arguments\": " + call + "}]";
                case GENERIC -> "";
            };
            String text = thought + "</think>\n\n" + answer + calls;
            List<String> pieces = new ArrayList<>();
            for (int i = 0; i < text.length(); i += 4) {
                pieces.add(text.substring(i, Math.min(text.length(), i + 4)));
            }
            long sink = 0;
            long best = Long.MAX_VALUE;
            for (int round = 0; round < 2_000; round++) {
                long start = System.nanoTime();
                OutputParser parser = new OutputParser(ThinkSplitter.insideThought(), format.newParser());
                for (String piece : pieces) {
                    sink += parser.accept(piece).content().length();
                }
                sink += parser.finish().toolCalls().size();
                best = Math.min(best, System.nanoTime() - start);
            }
            long none = Long.MAX_VALUE;
            for (int round = 0; round < 2_000; round++) {
                long start = System.nanoTime();
                OutputParser parser = new OutputParser(ThinkSplitter.insideThought(), ToolCallParser.NONE);
                for (String piece : pieces) {
                    sink += parser.accept(piece).content().length();
                }
                none = Math.min(none, System.nanoTime() - start);
            }
            System.out.printf("%-12s %5d pieces: %6.0f ns per piece with the parser, %6.0f ns without tools (%d)%n",
                    format.wireName(), pieces.size(), best / (double) pieces.size(), none / (double) pieces.size(),
                    sink % 7);
        }
    }
}
