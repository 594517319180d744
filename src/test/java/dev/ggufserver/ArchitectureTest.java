package dev.ggufserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules of docs/ARCHITECTURE.md, read from the sources: the engine and the reasoning splitter stand
 * alone, only engine.llama touches the native binding, only the HTTP packages touch Javalin.
 */
class ArchitectureTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/ggufserver");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+)\\.[\\w*]+;", Pattern.MULTILINE);

    private record Source(String pkg, String file, List<String> imports) {
    }

    private static List<Source> sources() throws IOException {
        List<Source> result = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String text = Files.readString(file);
                String pkg = text.lines().filter(l -> l.startsWith("package ")).findFirst().orElseThrow()
                        .substring(8).replace(";", "").trim();
                List<String> imports = new ArrayList<>();
                Matcher m = IMPORT.matcher(text);
                while (m.find()) {
                    imports.add(m.group(1));
                }
                result.add(new Source(pkg, file.toString(), imports));
            }
        }
        assertThat(result).hasSizeGreaterThan(20);
        return result;
    }

    private static void assertNoImport(String packagePrefix, String forbiddenPrefix, String... allowedPrefixes)
            throws IOException {
        for (Source s : sources()) {
            if (!s.pkg().equals(packagePrefix) && !s.pkg().startsWith(packagePrefix + ".")) {
                continue;
            }
            for (String imp : s.imports()) {
                boolean allowed = false;
                for (String a : allowedPrefixes) {
                    allowed |= imp.startsWith(a);
                }
                assertThat(imp.startsWith(forbiddenPrefix) && !allowed)
                        .as("%s imports %s", s.file(), imp).isFalse();
            }
        }
    }

    @Test
    void reasoningDependsOnNothingElseAndTemplatesOnlyOnTheToolCallSyntaxes() throws IOException {
        assertNoImport("dev.ggufserver.reasoning", "dev.ggufserver", "dev.ggufserver.reasoning");
        // the call syntax a template describes to the model is the one the output side parses: one definition
        assertNoImport("dev.ggufserver.template", "dev.ggufserver", "dev.ggufserver.template",
                "dev.ggufserver.output");
    }

    @Test
    void outputParsingDependsOnlyOnTheThinkSplitter() throws IOException {
        assertNoImport("dev.ggufserver.output", "dev.ggufserver", "dev.ggufserver.output", "dev.ggufserver.reasoning");
    }

    @Test
    void theEngineInterfaceKnowsNoHttpNoJsonAndNoBinding() throws IOException {
        for (Source s : sources()) {
            if (!s.pkg().equals("dev.ggufserver.engine")) {
                continue;
            }
            assertThat(s.imports()).as(s.file()).noneMatch(i -> i.startsWith("dev.ggufserver.")
                    || i.startsWith("io.javalin") || i.startsWith("com.fasterxml") || i.startsWith("de.kherud"));
        }
    }

    @Test
    void onlyEngineLlamaTouchesTheNativeBinding() throws IOException {
        for (Source s : sources()) {
            if (!s.pkg().equals("dev.ggufserver.engine.llama")) {
                assertThat(s.imports()).as(s.file()).noneMatch(i -> i.startsWith("de.kherud"));
            }
        }
    }

    @Test
    void onlyTheHttpPackagesTouchJavalin() throws IOException {
        for (Source s : sources()) {
            boolean http = s.pkg().startsWith("dev.ggufserver.server") || s.pkg().startsWith("dev.ggufserver.api")
                    || s.pkg().startsWith("dev.ggufserver.web");
            if (!http) {
                assertThat(s.imports()).as(s.file()).noneMatch(i -> i.startsWith("io.javalin")
                        || i.startsWith("jakarta.servlet"));
            }
        }
    }

    @Test
    void theNativeLibraryChoiceStandsBelowTheServer() throws IOException {
        // the cache, the CPU's features, the build: beside the engine, knowing only its NativeLibrary record and
        // the name of the engine process's check (nothing here loads a native library)
        for (Source s : sources()) {
            if (s.pkg().equals("dev.ggufserver.nativelib")) {
                assertThat(s.imports()).as(s.file()).allMatch(i -> !i.startsWith("dev.ggufserver.")
                        || i.equals("dev.ggufserver.nativelib") || i.equals("dev.ggufserver.engine")
                        || i.equals("dev.ggufserver.engine.llama"));
            }
        }
    }

    @Test
    void theGenerationPathKnowsNothingOfOpenAi() throws IOException {
        assertNoImport("dev.ggufserver.generation", "dev.ggufserver.api");
        assertNoImport("dev.ggufserver.generation", "com.fasterxml");
    }
}
