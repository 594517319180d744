package dev.ggufserver.nativelib;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The commit a git checkout is at, read from its files (no git needed for a local copy): {@code .git} as a
 * directory or as a {@code gitdir:} file (worktrees, submodules), {@code HEAD} detached or on a branch, the branch
 * as a loose ref or in {@code packed-refs}, in the common directory of a worktree.
 */
final class GitHead {
    private GitHead() {
    }

    /**
     * @throws IOException naming what is wrong: not a checkout, or a HEAD that cannot be resolved
     */
    static String commit(Path checkout) throws IOException {
        Path dotGit = checkout.resolve(".git");
        Path gitDir;
        if (Files.isDirectory(dotGit)) {
            gitDir = dotGit;
        } else if (Files.isRegularFile(dotGit)) {
            String line = Files.readString(dotGit, StandardCharsets.UTF_8).trim();
            if (!line.startsWith("gitdir:")) {
                throw new IOException(dotGit + " is not a git link");
            }
            gitDir = checkout.resolve(line.substring("gitdir:".length()).trim()).normalize();
        } else {
            throw new IOException(checkout + " is not a git checkout (it has no .git), so its commit cannot be "
                    + "checked");
        }
        Path common = gitDir;
        Path commonDir = gitDir.resolve("commondir");
        if (Files.isRegularFile(commonDir)) {
            common = gitDir.resolve(Files.readString(commonDir, StandardCharsets.UTF_8).trim()).normalize();
        }
        String head = Files.readString(gitDir.resolve("HEAD"), StandardCharsets.UTF_8).trim();
        for (int depth = 0; head.startsWith("ref:") && depth < 5; depth++) {
            head = resolve(gitDir, common, head.substring(4).trim());
        }
        if (!head.matches("[0-9a-f]{40}([0-9a-f]{24})?")) {
            throw new IOException("the HEAD of " + checkout + " cannot be resolved (" + head + ")");
        }
        return head;
    }

    private static String resolve(Path gitDir, Path common, String ref) throws IOException {
        for (Path dir : new Path[]{gitDir, common}) {
            Path loose = dir.resolve(ref);
            if (Files.isRegularFile(loose)) {
                return Files.readString(loose, StandardCharsets.UTF_8).trim();
            }
        }
        Path packed = common.resolve("packed-refs");
        if (Files.isRegularFile(packed)) {
            for (String line : Files.readAllLines(packed, StandardCharsets.UTF_8)) {
                if (line.endsWith(" " + ref) && !line.startsWith("#") && !line.startsWith("^")) {
                    return line.substring(0, line.indexOf(' '));
                }
            }
        }
        throw new IOException("the branch " + ref + " of " + gitDir + " has no commit");
    }
}
