package dev.ggufserver.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The GBNF checker: what it accepts, and for bad grammars the line, column and reason. */
class GbnfCheckTest {
    @Test
    void acceptsTheWholeDialect() {
        String g = """
                # a comment
                root ::= greeting (" " name)? [.!]{1,3} item* end
                greeting ::= "hi" | "hello\\t\\x41\\u00e9\\U0001F600" |
                    "hey"
                name ::= [A-Z] [a-z\\]-]+ # trailing comment
                item ::= ( "a" | [^"\\\\] ){2} "b"{1,} . "c"{0,4}
                end ::= "" | (
                  "!"
                )
                """;
        assertThatCode(() -> Gbnf.check(g)).doesNotThrowAnyException();
        GbnfMatcher m = new GbnfMatcher(g);
        assertThat(m.matches("hi Bob!xxbz!")).isTrue();
        assertThat(m.matches("hey..")).isTrue();
        assertThat(m.matches("hey")).isFalse();
    }

    static Stream<Arguments> bad() {
        return Stream.of(
                a("", 1, "empty"),
                a("   \n# only a comment\n", 1, "empty"),
                a("start ::= \"a\"\n", 1, "root"),
                a("root ::= \"a\" other\n", 1, "undefined rule 'other'"),
                a("root ::= \"a\"\nroot ::= \"b\"\n", 2, "defined twice"),
                a("root ::= \"abc\n", 1, "unterminated literal"),
                a("root ::= [abc\n", 1, "unterminated character class"),
                a("root ::= (\"a\" | \"b\"\n", 1, "unterminated group"),
                a("root ::= \"a\"{3,2}\n", 1, "below the minimum"),
                a("root ::= \"a\"{1,5000}\n", 1, "limit"),
                a("root ::= \"a\"{99999999999}\n", 1, "limit"),
                a("root ::= \"a\"{2\n", 1, "'}'"),
                a("root ::= x\n" + "x ::= \"a\"{1000}\n".repeat(1).replace("x ::=", "x ::= \"b\"{1000} ").repeat(1)
                        + "y ::= x{1000} " + "\"c\"{1000} ".repeat(98) + "\"d\"{1000}\n", 3, "repetitions"),
                a("root ::= * \"a\"\n", 1, "nothing before it"),
                a("root ::= \"\\q\"\n", 1, "unknown escape"),
                a("root ::= [z-a]\n", 1, "range"),
                a("root \"a\"\n", 1, "::="),
                a("root ::= \"a\" ]\n", 1, "unexpected"),
                a("root ::= x\nx ::= x \"a\" | \"b\"\n", 1, "left-recursive"),
                a("root ::= \"a\"\n\n  bad_name ::= \"b\"\n", 3, "::="),
                a("root ::= \"" + "a".repeat(Gbnf.MAX_CHARS) + "\"\n", 1, "characters"));
    }

    private static Arguments a(String grammar, int line, String message) {
        return Arguments.of(grammar, line, message);
    }

    @ParameterizedTest
    @MethodSource("bad")
    void refusesBadGrammarsWithPosition(String grammar, int line, String message) {
        GrammarSyntaxException e = catchThrowableOfType(GrammarSyntaxException.class, () -> Gbnf.check(grammar));
        assertThat(e).as(grammar.length() > 80 ? grammar.substring(0, 80) : grammar).isNotNull();
        assertThat(e.getMessage()).contains(message);
        assertThat(e.line()).as(e.getMessage()).isEqualTo(line);
        assertThat(e.getMessage()).contains("line " + line + ", column ");
    }

    @Test
    void reportsTheColumn() {
        GrammarSyntaxException e = catchThrowableOfType(GrammarSyntaxException.class,
                () -> Gbnf.check("root ::= \"a\"\nx ::= \"b\" missing\n"));
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.column()).isEqualTo(11);
    }
}
