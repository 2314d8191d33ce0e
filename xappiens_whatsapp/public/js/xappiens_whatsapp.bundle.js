// Desk-wide parts of Xappiens WhatsApp: shared helpers, the conversation and timeline widgets used by the
// inbox page and the forms, and the call popup.
import "./xw/utils.js";
import "./xw/realtime.js";
import "./xw/media.js";
import "./xw/conversation.js";
import "./xw/conversation_header.js";
import "./xw/conversation_bubbles.js";
import "./xw/conversation_sending.js";
import "./xw/assignment.js";
import "./xw/quick_replies.js";
import "./xw/notes.js";
import "./xw/replies.js";
import "./xw/queues.js";
import "./xw/attention.js";
import "./xw/inbox.js";
import "./xw/timeline.js";
import "./xw/calls.js";
import "./xw/send_document.js";
