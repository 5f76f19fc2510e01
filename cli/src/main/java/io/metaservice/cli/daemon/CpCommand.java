package io.metaservice.cli.daemon;

import io.metaservice.cli.internal.ArtifactStore;
import io.metaservice.cli.internal.UnsafePathException;
import io.metaservice.host.daemon.ControlErrorCode;
import io.metaservice.host.daemon.ListedPaths;
import io.metaservice.host.daemon.client.ControlClient;
import io.metaservice.host.daemon.client.ControlException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code metaservice cp GUEST:PATH DEST}: copies a file or a folder out of a guest. */
@Command(
        name = "cp",
        mixinStandardHelpOptions = true,
        description = {"Copies a file or a folder from a guest to this host.",
            "A file goes to DEST, or into DEST when it is a folder. A folder's files go below DEST,"
                    + " or below DEST/NAME when DEST is an existing folder; a folder needs an absolute"
                    + " PATH. Files are written only below the destination, never through a symbolic"
                    + " link, and replace existing files of the same name."},
        footer = {"", "Exit codes: 0 when every file was copied, 1 otherwise (files copied before a"
                + " failure stay), 2 usage error."})
public final class CpCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "GUEST:PATH",
            description = "The guest's id, a colon, and the path in the guest.")
    private String source;

    @Parameters(index = "1", paramLabel = "DEST", description = "The file or folder to write on this host.")
    private Path destination;

    @Override
    int run(ControlClient client) throws ControlException, Exception {
        int colon = source.indexOf(':');
        if (colon <= 0 || colon == source.length() - 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid source '" + source
                    + "': expected GUEST:PATH, such as a1B2c3:/home/task/out");
        }
        String guest = source.substring(0, colon);
        String path = source.substring(colon + 1);
        String name = lastName(path);
        try (InputStream file = client.file(guest, path)) {
            return copyFile(guest, path, name, file);
        } catch (ControlException e) {
            if (e.code() != ControlErrorCode.RESOURCE_NOT_FOUND) {
                throw e;
            }
        }
        if (!path.startsWith("/")) {
            return fail("guest " + guest + ": " + path + " is not a file in the guest; to copy a folder,"
                    + " give its absolute path");
        }
        try (InputStream archive = client.archive(guest, path)) {
            return copyFolder(guest, path, name, archive);
        } catch (ControlException e) {
            if (e.code() == ControlErrorCode.RESOURCE_NOT_FOUND) {
                return fail("guest " + guest + ": " + path + " is neither a file nor a folder in the guest;"
                        + " check the path");
            }
            throw e;
        }
    }

    private int copyFile(String guest, String path, String name, InputStream content) throws IOException {
        Path target;
        ArtifactStore store;
        if (Files.isDirectory(destination)) {
            if (name == null) {
                return fail("guest " + guest + ": " + path + " has no file name to create in " + destination
                        + "; give the destination file's name");
            }
            store = new ArtifactStore(destination);
            target = destination.resolve(name);
        } else {
            Path absolute = destination.toAbsolutePath();
            store = new ArtifactStore(absolute.getParent());
            target = absolute;
        }
        try {
            store.write(List.of(target.getFileName().toString()), content);
        } catch (UnsafePathException e) {
            return fail("guest " + guest + ": cannot write " + path + " to " + target + ": " + e.getMessage());
        } catch (IOException e) {
            return fail("guest " + guest + ": copying " + path + " to " + target + " failed: " + e.getMessage());
        }
        System.err.println("metaservice cp: copied " + guest + ":" + path + " to " + target);
        return 0;
    }

    private int copyFolder(String guest, String path, String name, InputStream archive) {
        Path root = Files.isDirectory(destination) && name != null ? destination.resolve(name) : destination;
        ArchiveExtractor.Outcome outcome;
        try {
            outcome = ArchiveExtractor.extract(archive, new ArtifactStore(root));
        } catch (IOException e) {
            return fail("guest " + guest + ": copying the folder " + path + " to " + root + " broke off: "
                    + e.getMessage() + "; the files written so far stay in " + root);
        }
        System.err.println("metaservice cp: copied " + outcome.files() + " files (" + outcome.bytes()
                + " bytes) from " + guest + ":" + path + " to " + root);
        if (outcome.rejectedCount() == 0) {
            return 0;
        }
        for (String rejected : outcome.rejected()) {
            System.err.println("metaservice cp: skipped " + rejected);
        }
        return fail("guest " + guest + ": skipped " + outcome.rejectedCount() + " unsafe entries of " + path
                + "; nothing was written for them");
    }

    /** Returns the last name of a guest path, or null when it has none that is safe to create. */
    private static String lastName(String path) {
        String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        String name = trimmed.substring(trimmed.lastIndexOf('/') + 1);
        return name.isEmpty() || ListedPaths.checkRelative(name) != null ? null : name;
    }
}
