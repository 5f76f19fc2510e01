package io.metaservice.cli.internal;

import java.text.MessageFormat;
import java.util.ResourceBundle;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@link System.Logger}, which the guest agent uses, through SLF4J and so through the
 * command's logback configuration. Registered as a service in {@code META-INF/services}.
 */
public final class Slf4jLoggerFinder extends System.LoggerFinder {

    @Override
    public System.Logger getLogger(String name, Module module) {
        return new Slf4jSystemLogger(LoggerFactory.getLogger(name));
    }

    /** A {@link System.Logger} that formats like {@link MessageFormat} and logs to SLF4J. */
    private static final class Slf4jSystemLogger implements System.Logger {

        private final Logger logger;

        Slf4jSystemLogger(Logger logger) {
            this.logger = logger;
        }

        @Override
        public String getName() {
            return logger.getName();
        }

        @Override
        public boolean isLoggable(Level level) {
            return switch (level) {
                case ALL, TRACE -> logger.isTraceEnabled();
                case DEBUG -> logger.isDebugEnabled();
                case INFO -> logger.isInfoEnabled();
                case WARNING -> logger.isWarnEnabled();
                case ERROR -> logger.isErrorEnabled();
                case OFF -> false;
            };
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
            if (isLoggable(level)) {
                emit(level, localize(bundle, message), thrown);
            }
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            if (!isLoggable(level)) {
                return;
            }
            String pattern = localize(bundle, format);
            String message = params == null || params.length == 0
                    ? pattern : new MessageFormat(pattern).format(params);
            emit(level, message, null);
        }

        @Override
        public void log(Level level, Supplier<String> supplier, Throwable thrown) {
            if (isLoggable(level)) {
                emit(level, supplier.get(), thrown);
            }
        }

        private void emit(Level level, String message, Throwable thrown) {
            switch (level) {
                case ALL, TRACE -> logger.trace(message, thrown);
                case DEBUG -> logger.debug(message, thrown);
                case INFO -> logger.info(message, thrown);
                case WARNING -> logger.warn(message, thrown);
                case ERROR -> logger.error(message, thrown);
                case OFF -> { }
            }
        }

        private static String localize(ResourceBundle bundle, String key) {
            if (bundle == null || key == null || !bundle.containsKey(key)) {
                return key;
            }
            return bundle.getString(key);
        }
    }
}
